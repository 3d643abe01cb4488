import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './schemas/postgres/tables/*.ts',
  out: './schemas/postgres/migrations',
});
