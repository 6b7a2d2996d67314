// The user-data app's public surface, for the embedded launcher and the compose check (test/unit).
export { UserDataModule, type UserDataDeps } from './user-data.module.js';
export { userDataDatabase } from './user-data.database.js';
export { loadUserDataConfig, type UserDataConfig } from './config/user-data.env.js';
// The banking port, for a host that plugs its core banking system in (docs/banking-connector.md).
export {
  BankingConnector,
  MAX_POSITION_BYTES,
  type TransactionPage,
  type TransactionPageRequest,
} from './banking/banking-connector.js';
export { StoreBankingConnector } from './banking/store-banking-connector.js';
