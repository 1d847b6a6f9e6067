import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../lib/config';
import { openStore, type Store } from '../store';
import { accountSettings } from '../store/accounts';
import { INDEXES } from '../store/mongo/indexes';
import { createPool } from '../store/postgres/db';
import { loadMigrations, migrate } from '../store/postgres/migrate';
import { provisionOrganization } from './provision';

const USAGE = `Usage: npm run waflow -- <command> [options]

Commands:
  db:migrate  Applies the PostgreSQL migrations not applied yet (MongoDB: creates the indexes).
              Every process also does this when it starts.
  org:create  --name <name> [--email <email> --password <password>] [--key-name <name>]
              Creates an organization, its first API key and optionally its first user.
  user:create --org <orgId> --email <email> --password <password> [--name <name>]
  key:create  --org <orgId> --name <name> [--expires-at <ISO date>]

WAFLOW_STORE, DATABASE_URL, DATABASE_SCHEMA, MONGODB_URI and MONGODB_DB choose the database
(see README, Configuration).`;

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
  if (command === 'db:migrate') return migrateDatabase(config);
  const database = await openStore(config);
  const { store } = database;
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
    await database.close();
  }
}

class UsageError extends Error {}

async function migrateDatabase(config: Config) {
  if (config.store === 'mongo') {
    const database = await openStore(config);
    await database.close();
    const indexes = Object.values(INDEXES).reduce((n, list) => n + list.length, 0);
    return { store: 'mongo', database: config.mongo.db, indexes_ensured: indexes };
  }
  const { url, schema } = config.postgres;
  const pool = createPool(url, schema, 1);
  try {
    const applied = await migrate(pool, schema);
    const all = loadMigrations();
    return {
      store: 'postgres',
      schema,
      applied: all
        .filter((m) => applied.includes(m.version))
        .map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`),
      current_version: all.at(-1)?.version ?? 0,
    };
  } finally {
    await pool.end();
  }
}

async function existingOrg(store: Store, id: string): Promise<string> {
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
