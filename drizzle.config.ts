import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './schemas/postgres/schema.ts',
  out: './schemas/postgres/migrations',
});
