import {
  countPlaceholders,
  headerFormat,
  parameterCounts,
  parameterMismatch,
} from '../../meta/template-parameters';

describe('template parameter counts', () => {
  it('counts distinct positional and named placeholders', () => {
    expect(countPlaceholders('Hi {{1}}, order {{2}} for {{1}}')).toBe(2);
    expect(countPlaceholders('Hi {{first_name}}, {{ order_id }} ships {{date}}')).toBe(3);
    expect(countPlaceholders('No placeholders, {single} braces')).toBe(0);
  });

  it('counts a media header as one parameter and reports its format', () => {
    const components = [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://x.test/a.jpg'] } },
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way with {{3}}.' },
    ];
    expect(parameterCounts(components)).toEqual({ header: 1, body: 3, buttons: [] });
    expect(headerFormat(components)).toBe('IMAGE');
  });

  it.each(['VIDEO', 'DOCUMENT', 'LOCATION'])('treats a %s header as media', (format) => {
    expect(parameterCounts([{ type: 'HEADER', format }]).header).toBe(1);
    expect(headerFormat([{ type: 'HEADER', format }])).toBe(format);
  });

  it('counts the placeholders of a text header and gives it no format', () => {
    const components = [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
      { type: 'BODY', text: 'Thanks!' },
      { type: 'FOOTER', text: 'Reply STOP {{9}}' },
    ];
    expect(parameterCounts(components)).toEqual({ header: 1, body: 0, buttons: [] });
    expect(headerFormat(components)).toBeNull();
  });

  it('gives one count per button: URL with a placeholder and COPY_CODE take one', () => {
    const components = [
      { type: 'BODY', text: 'Your code' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Stop' },
          { type: 'URL', text: 'Track', url: 'https://shop.test/track/{{1}}' },
          { type: 'URL', text: 'Shop', url: 'https://shop.test/' },
          { type: 'COPY_CODE', example: 'SAVE10' },
          { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+15550100' },
        ],
      },
    ];
    expect(parameterCounts(components).buttons).toEqual([0, 1, 0, 1, 0]);
  });

  it('gives zero everywhere for a template without components', () => {
    expect(parameterCounts([])).toEqual({ header: 0, body: 0, buttons: [] });
  });
});

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
