import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { createStore } from '../store';
import { accountSettings } from '../store/accounts';
import { connectMongo } from '../store/mongo';
import { provisionOrganization } from './provision';

const USAGE = `Usage: npm run waflow -- <command> [options]

Commands:
  org:create  --name <name> [--email <email> --password <password>] [--key-name <name>]
              Creates an organization, its first API key and optionally its first user.
  user:create --org <orgId> --email <email> --password <password> [--name <name>]
  key:create  --org <orgId> --name <name> [--expires-at <ISO date>]

MONGODB_URI and MONGODB_DB choose the database (see README, Configuration).`;

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      org: { type: 'string' },
      'key-name': { type: 'string' },
      'expires-at': { type: 'string' },
    },
  });
  const need = (flag: keyof typeof values): string => {
    const v = values[flag];
    if (typeof v !== 'string' || !v) throw new UsageError(`--${flag} is required for ${command}`);
    return v;
  };
  const config = loadConfig();
  const mongo = await connectMongo(config.mongo.uri, config.mongo.db);
  const store = createStore(mongo.db, config.encryptionKey, accountSettings(config));
  try {
    switch (command) {
      case 'org:create':
        return await provisionOrganization(
          store,
          {
            name: need('name'),
            email: values.email,
            password: values.password,
            keyName: values['key-name'],
          },
          accountSettings(config).sandbox,
        );
      case 'user:create': {
        const orgId = await existingOrg(store, need('org'));
        const user = await store.users.create(orgId, {
          email: need('email'),
          password: need('password'),
          name: values.name ?? need('email').split('@')[0]!,
        });
        return { id: user._id, org_id: user.org_id, email: user.email };
      }
      case 'key:create': {
        const orgId = await existingOrg(store, need('org'));
        const expires = values['expires-at'] ? new Date(values['expires-at']) : null;
        if (expires && Number.isNaN(expires.getTime()))
          throw new UsageError('--expires-at is not a date');
        const { doc, key } = await store.apiKeys.create(orgId, {
          name: need('name'),
          expiresAt: expires,
        });
        return { id: doc._id, org_id: orgId, name: doc.name, key };
      }
      default:
        throw new UsageError(command ? `Unknown command '${command}'` : 'No command given');
    }
  } finally {
    await mongo.close();
  }
}

class UsageError extends Error {}

async function existingOrg(store: ReturnType<typeof createStore>, id: string): Promise<string> {
  if (!(await store.organizations.get(id))) throw new UsageError(`Organization '${id}' not found`);
  return id;
}

main(process.argv.slice(2)).then(
  (result) => console.log(JSON.stringify(result, null, 2)),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    if (err instanceof UsageError) console.error(`\n${USAGE}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
