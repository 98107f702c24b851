import { Client } from 'pg';

describe('test services', () => {
  it('should provide a private PostgreSQL', async () => {
    const client = new Client({ connectionString: process.env.KITCHENS_TEST_PG_URL });
    await client.connect();
    const res = await client.query('select 1 + 1 as two');
    await client.end();
    expect(res.rows[0].two).toBe(2);
  });
  it('should provide a moto server', async () => {
    const res = await fetch(`${process.env.KITCHENS_TEST_MOTO_ENDPOINT}/moto-api/`);
    expect(res.status).toBe(200);
  });
});
