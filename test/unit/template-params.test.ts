import { parameterMismatch } from '../../messaging/template-params';

const template = {
  name: 'order_shipped',
  parameter_counts: { header: 1, body: 3, buttons: [0, 1] },
};
const text = (t: string) => ({ type: 'text', text: t });

describe('parameterMismatch', () => {
  it('accepts exactly the placeholders of every component', () => {
    expect(
      parameterMismatch(template, [
        {
          type: 'header',
          parameters: [{ type: 'image', image: { link: 'https://x.test/a.jpg' } }],
        },
        { type: 'body', parameters: [text('a'), text('b'), text('c')] },
        { type: 'button', sub_type: 'url', index: '1', parameters: [text('ORD-1')] },
      ]),
    ).toBeNull();
  });

  it('names the component, the expected and the given count', () => {
    expect(
      parameterMismatch(template, [
        { type: 'header', parameters: [{ type: 'image' }] },
        { type: 'body', parameters: [text('a')] },
        { type: 'button', index: 1, parameters: [text('x')] },
      ]),
    ).toBe("Template 'order_shipped' expects 3 body parameters, got 1");
    expect(parameterMismatch(template, [])).toBe(
      "Template 'order_shipped' expects 1 header parameter, got 0",
    );
  });

  it('checks buttons by index and refuses buttons the template lacks', () => {
    const base = [
      { type: 'header' as const, parameters: [{}] },
      { type: 'body' as const, parameters: [{}, {}, {}] },
    ];
    expect(parameterMismatch(template, base)).toBe(
      "Template 'order_shipped' expects 1 button 1 parameter, got 0",
    );
    expect(
      parameterMismatch(template, [
        ...base,
        { type: 'button', index: 1, parameters: [{}] },
        { type: 'button', index: 5, parameters: [] },
      ]),
    ).toBe("Template 'order_shipped' has no button 5");
  });
});
