import { control, errorOf, json, startHarness, text, TOKEN, type Harness } from './helpers';

describe('Meta simulator: Graph API versions', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  afterEach(() => h.sim.setOptions({ today: null }));

  const sendThrough = (version: string) =>
    fetch(`${h.sim.url}/${version}/1065/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(text()),
    });

  it('serves v21.0 until 2027-01-21 and refuses it after, with Meta error 2635', async () => {
    expect((await control(h.sim, 'POST', 'config', { today: '2026-12-15' })).status).toBe(200);
    expect((await sendThrough('v21.0')).status).toBe(200);
    h.sim.setOptions({ today: '2027-01-21' });
    expect((await sendThrough('v21.0')).status).toBe(200);

    await control(h.sim, 'POST', 'config', { today: '2027-01-22' });
    const res = await sendThrough('v21.0');
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: 2635, type: 'OAuthException' });
    expect(error.message).toMatch(/deprecated version of the Graph API.*v26\.0/);
    expect(error.fbtrace_id).toEqual(expect.any(String));
    expect(h.sim.log.at(-1)).toMatchObject({ status: 400, error_code: 2635 });

    expect((await sendThrough('v25.0')).status).toBe(200);
    expect((await sendThrough('v26.0')).status).toBe(200);
  });

  it('serves v25.0 until 2028-07-29', async () => {
    h.sim.setOptions({ today: '2028-07-29' });
    expect((await sendThrough('v25.0')).status).toBe(200);
    h.sim.setOptions({ today: '2028-07-30' });
    expect((await errorOf(await sendThrough('v25.0'))).code).toBe(2635);
  });

  it('refuses a version Meta never had as an unknown path', async () => {
    const res = await sendThrough('v99.0');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 2500, type: 'OAuthException' });
  });

  it('refuses a malformed day naming the field', async () => {
    const res = await control(h.sim, 'POST', 'config', { today: 'tomorrow' });
    expect(res.status).toBe(400);
    expect((await json<{ error: string }>(res)).error).toMatch(/today/);
  });
});
