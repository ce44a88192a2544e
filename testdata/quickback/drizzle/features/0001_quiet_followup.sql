-- A later migration: a column the config does not name, and the scope
-- indexes Quickback adds (organization and soft delete, no sort order).
ALTER TABLE `candidates` ADD `legal_name` text;
--> statement-breakpoint
CREATE INDEX `jobs_organization_id_deleted_at_idx` ON `jobs` (`organization_id`,`deleted_at`);
--> statement-breakpoint
CREATE INDEX `candidates_organization_id_deleted_at_idx` ON `candidates` (`organization_id`,`deleted_at`);
--> statement-breakpoint
CREATE INDEX `applications_organization_id_deleted_at_idx` ON `applications` (`organization_id`,`deleted_at`);
--> statement-breakpoint
CREATE INDEX `interview_notes_organization_id_deleted_at_idx` ON `interview_notes` (`organization_id`,`deleted_at`);
