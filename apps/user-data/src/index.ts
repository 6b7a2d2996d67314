// The user-data app's public surface, for the embedded launcher and the compose check (test/unit).
export { UserDataModule, type UserDataDeps } from './user-data.module.js';
export { userDataDatabase } from './user-data.database.js';
export { loadUserDataConfig, type UserDataConfig } from './config/user-data.env.js';
