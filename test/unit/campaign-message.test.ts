import {
  missingPlaceholders,
  placeholderProblems,
  renderCampaignMessage,
} from '../../campaigns/message';
import type { CampaignMessage, ContactDoc } from '../../store/documents';

const at = new Date('2026-01-01T00:00:00Z');
const contact = (fields: Partial<ContactDoc> = {}): ContactDoc => ({
  _id: 'c1',
  org_id: 'o1',
  phone_number: '+919876543210',
  user_id: null,
  parent_user_id: null,
  username: null,
  name: 'Ana',
  email: 'ana@example.com',
  tags: ['vip'],
  stage: 'Customer',
  custom_fields: { plan: 'pro', seats: 3, trial: false, note: null, blank: '  ' },
  opted_in: true,
  last_inbound_at: null,
  source: 'api',
  created_at: at,
  updated_at: at,
  ...fields,
});

const text = (body: string): CampaignMessage => ({ type: 'text', text: body });

const template = (components: Record<string, unknown>[]): CampaignMessage => ({
  type: 'template',
  template: { name: 'order_update', language: 'en_US', components },
});

const body = (...texts: string[]) => ({
  type: 'body',
  parameters: texts.map((t) => ({ type: 'text', text: t })),
});

describe('renderCampaignMessage', () => {
  it('fills every contact field into free-form text', () => {
    const message = text(
      'Hi {{name}} ({{phone_number}}, {{email}}), stage {{stage}}, plan {{custom_fields.plan}}, ' +
        '{{custom_fields.seats}} seats, trial {{custom_fields.trial}}',
    );
    expect(renderCampaignMessage(message, contact())).toEqual({
      type: 'text',
      content: {
        body:
          'Hi Ana (+919876543210, ana@example.com), stage Customer, plan pro, 3 seats, ' +
          'trial false',
      },
    });
  });

  it('tolerates whitespace and uses the default only when the value is missing', () => {
    const message = text('{{ name | there }}/{{email|none}}/{{ custom_fields.note | - }}');
    expect(renderCampaignMessage(message, contact()).content.body).toBe('Ana/ana@example.com/-');
    expect(renderCampaignMessage(message, contact({ name: null, email: '' })).content.body).toBe(
      'there/none/-',
    );
  });

  it('renders a missing value without a default as empty text, blank values as missing', () => {
    const message = text('Hi {{name}}!{{custom_fields.blank}}{{custom_fields.absent}}');
    expect(renderCampaignMessage(message, contact({ name: null })).content.body).toBe('Hi !');
  });

  it('takes an empty default as given', () => {
    expect(renderCampaignMessage(text('Hi{{name|}}!'), contact({ name: null })).content).toEqual({
      body: 'Hi!',
    });
  });

  it('fills template parameters, keeping the template shape Meta wants', () => {
    const message = template([
      body('{{name | Customer}}', '{{custom_fields.plan}}'),
      {
        type: 'button',
        sub_type: 'url',
        index: '0',
        parameters: [{ type: 'text', text: 'track/{{custom_fields.seats}}' }],
      },
    ]);
    expect(renderCampaignMessage(message, contact({ name: null }))).toEqual({
      type: 'template',
      content: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [
          body('Customer', 'pro'),
          {
            type: 'button',
            sub_type: 'url',
            index: '0',
            parameters: [{ type: 'text', text: 'track/3' }],
          },
        ],
      },
    });
  });

  it('leaves the stored message as it was', () => {
    const message = template([body('{{name}}')]);
    renderCampaignMessage(message, contact());
    expect(message).toEqual(template([body('{{name}}')]));
  });

  it('sends a template without parameters without components', () => {
    expect(renderCampaignMessage(template([]), contact())).toEqual({
      type: 'template',
      content: { name: 'order_update', language: { code: 'en_US' } },
    });
  });

  it('never reads fields that are not placeholders', () => {
    const message = text('{{_id}} {{org_id}} {{tags}} {{custom_fields.__proto__}} {{ 1 }}');
    expect(renderCampaignMessage(message, contact()).content.body).toBe(
      '{{_id}} {{org_id}} {{tags}}  {{ 1 }}',
    );
  });
});

describe('placeholderProblems', () => {
  it('accepts every known placeholder, with and without defaults', () => {
    expect(
      placeholderProblems(
        text('{{name}} {{ phone_number }} {{email|x}} {{stage | a b}} {{custom_fields.plan}}'),
      ),
    ).toEqual([]);
  });

  it('names each unknown placeholder once, in text and in template parameters', () => {
    expect(placeholderProblems(text('{{first_name}} {{first_name | x}} {{}} {{1}}'))).toEqual([
      'unknown placeholder {{first_name}}',
      'unknown placeholder {{}}',
      'unknown placeholder {{1}}',
    ]);
    expect(
      placeholderProblems(template([body('{{name}}', '{{custom_fields.}}', '{{ tags }}')])),
    ).toEqual(['unknown placeholder {{custom_fields.}}', 'unknown placeholder {{tags}}']);
  });

  it('ignores braces that are not placeholders', () => {
    expect(placeholderProblems(text('{ name } {{ and }'))).toEqual([]);
  });
});

describe('missingPlaceholders', () => {
  it('lists placeholders with neither a value nor a default', () => {
    const message = template([
      body('{{name}}', '{{email | -}}', '{{custom_fields.plan}}', '{{custom_fields.coupon}}'),
    ]);
    expect(missingPlaceholders(message, contact())).toEqual(['custom_fields.coupon']);
    expect(missingPlaceholders(message, contact({ name: null, custom_fields: {} }))).toEqual([
      'name',
      'custom_fields.plan',
      'custom_fields.coupon',
    ]);
  });
});

describe('action placeholders', () => {
  const withAction = (m: CampaignMessage): CampaignMessage => ({ ...m, action_id: 'a1' });

  it('fills {{action.<key>}} from the values an action gave the recipient, defaults when missing', () => {
    const message = withAction(
      template([body('{{action.greeting}}', '{{action.code | NONE}}', '{{name}}')]),
    );
    const rendered = renderCampaignMessage(message, contact(), { greeting: 'Dear ANA' });
    expect(rendered.content.components).toEqual([body('Dear ANA', 'NONE', 'Ana')]);
    expect(missingPlaceholders(message, contact(), { code: 'X' })).toEqual(['action.greeting']);
    // Only the values' own keys: nothing from a prototype.
    expect(
      renderCampaignMessage(withAction(text('{{action.toString|-}}')), contact(), {}).content,
    ).toEqual({ body: '-' });
  });

  it('refuses action placeholders in a message without an action', () => {
    expect(placeholderProblems(text('Hi {{action.greeting}}'))).toEqual([
      'placeholder {{action.greeting}} needs an action_id',
    ]);
    expect(placeholderProblems(withAction(text('Hi {{action.greeting}} {{action.}}')))).toEqual([
      'unknown placeholder {{action.}}',
    ]);
  });
});
