// The user-data app's public surface for the embedded launcher; nothing else imports an app.
export { UserDataModule, type UserDataDeps } from './user-data.module.js';
export { userDataDatabase } from './user-data.database.js';
