// Metadata store entry point: see metadata/database.ts.
export { openDatabase, type Database } from './metadata/database.ts';
export { MIGRATIONS, migrate, migrateComponent, type Migration } from './metadata/migrations.ts';
export { SqliteContainerRepository } from './metadata/containers.ts';
export { SqliteImageRepository, type ImageRepository, type ImageRow, type LayerRecord } from './metadata/images.ts';
