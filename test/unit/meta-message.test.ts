import { SendMessageBody } from '../../api/schemas/messages';
import { metaMessageBody, toMetaContent } from '../../meta/messages';

const parse = (body: unknown) => SendMessageBody.parse(body);

describe('toMetaContent', () => {
  it('turns the reference text shape into Meta text', () => {
    expect(toMetaContent(parse({ to: '+1', type: 'text', text: 'Hello!' }))).toEqual({
      type: 'text',
      content: { body: 'Hello!' },
    });
  });

  it('gives templates a language object and string button indexes', () => {
    const req = parse({
      to: '+1',
      type: 'template',
      template: {
        name: 'track_order',
        language: 'en',
        components: [
          { type: 'body', parameters: [{ type: 'text', text: 'ORD-789' }] },
          {
            type: 'button',
            sub_type: 'url',
            index: 0,
            parameters: [{ type: 'text', text: 'ORD-789' }],
          },
        ],
      },
    });
    expect(toMetaContent(req)).toEqual({
      type: 'template',
      content: {
        name: 'track_order',
        language: { code: 'en' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: 'ORD-789' }] },
          {
            type: 'button',
            sub_type: 'url',
            index: '0',
            parameters: [{ type: 'text', text: 'ORD-789' }],
          },
        ],
      },
    });
  });

  it("turns media url into Meta's link and keeps captions where Meta allows them", () => {
    const image = parse({
      to: '+1',
      type: 'image',
      image: { url: 'https://x.test/p.jpg', caption: 'New!' },
    });
    expect(toMetaContent(image)).toEqual({
      type: 'image',
      content: { link: 'https://x.test/p.jpg', caption: 'New!' },
    });
    const audio = parse({
      to: '+1',
      type: 'audio',
      audio: { link: 'https://x.test/a.ogg', caption: 'x' },
    });
    expect(toMetaContent(audio)).toEqual({
      type: 'audio',
      content: { link: 'https://x.test/a.ogg' },
    });
  });
});

describe('new message types in Meta shapes', () => {
  it("gives contacts as Meta's array, a sticker its link, and any type its context", () => {
    const cards = [{ name: { formatted_name: 'Ravi' } }];
    const contacts = toMetaContent(parse({ to: '+1', type: 'contacts', contacts: cards }));
    expect(metaMessageBody(contacts)).toEqual({ type: 'contacts', contacts: cards });
    const sticker = toMetaContent(
      parse({
        to: '+1',
        type: 'sticker',
        sticker: { url: 'https://x.test/s.webp' },
        context: { message_id: 'wamid.q' },
      }),
    );
    expect(sticker).toEqual({
      type: 'sticker',
      content: { link: 'https://x.test/s.webp' },
      context: { message_id: 'wamid.q' },
    });
    expect(metaMessageBody(sticker)).toEqual({
      type: 'sticker',
      sticker: { link: 'https://x.test/s.webp' },
      context: { message_id: 'wamid.q' },
    });
  });
});

describe('SendMessageBody', () => {
  const error = (body: unknown) =>
    SendMessageBody.safeParse(body).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('refuses plain HTTP media', () => {
    expect(error({ to: '+1', type: 'image', image: { url: 'http://x.test/p.jpg' } })).toEqual([
      'image.url: must be an HTTPS URL',
    ]);
  });

  it('allows at most 3 buttons and 10 list rows', () => {
    const button = (i: number) => ({ type: 'reply', reply: { id: `b${i}`, title: `B${i}` } });
    const buttons = (n: number) => ({
      to: '+1',
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Pick' },
        action: { buttons: [...Array(n).keys()].map(button) },
      },
    });
    expect(error(buttons(3))).toBeUndefined();
    expect(error(buttons(4))).toEqual(['interactive.action.buttons: at most 3 buttons']);

    const rows = (n: number) =>
      [...Array(n).keys()].map((i) => ({ id: `r${i}`, title: `Row ${i}` }));
    const list = (a: number, b: number) => ({
      to: '+1',
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Pick' },
        action: {
          button: 'Menu',
          sections: [
            { title: 'A', rows: rows(a) },
            { title: 'B', rows: rows(b) },
          ],
        },
      },
    });
    expect(error(list(5, 5))).toBeUndefined();
    expect(error(list(6, 5))).toEqual([
      'interactive.action.sections: at most 10 rows in all sections together',
    ]);
  });

  it('names the field a type needs', () => {
    expect(error({ to: '+1', type: 'text' })?.[0]).toMatch(/^text: /);
    expect(error({ to: '+1', type: 'sticker' })?.[0]).toMatch(/^sticker: /);
    expect(error({ to: '+1', type: 'poll' })?.[0]).toMatch(/^type: /);
  });
});
