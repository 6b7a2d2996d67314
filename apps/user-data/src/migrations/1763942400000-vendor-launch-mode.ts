import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How a vendor's plugin is launched from the browser: `redirect` (to its plugin URL with the code) or `embed`
 * (a host page frames the plugin and hands it the code by `postMessage`). Existing vendors, the demo's among
 * them, are framed.
 */
export class VendorLaunchMode1763942400000 implements MigrationInterface {
  name = 'VendorLaunchMode1763942400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE user_data.vendors
         ADD COLUMN launch_mode text NOT NULL DEFAULT 'embed' CHECK (launch_mode IN ('redirect', 'embed'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE user_data.vendors DROP COLUMN launch_mode`);
  }
}
