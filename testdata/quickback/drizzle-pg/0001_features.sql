-- The hiring pipeline's feature tables as a Quickback project on
-- PostgreSQL creates them (Drizzle pg-core): snake_case columns,
-- timestamp with time zone times defaulting to now(), a boolean flag, a
-- jsonb payload, a pgEnum stage, a varchar with a length. As in the D1
-- project: a camelCase table (atsImports), a renamed column (scorer_id), a
-- column the config does not name (legal_name) and Quickback's scope
-- indexes (organization and soft delete, no sort order).
CREATE TYPE "application_stage" AS ENUM('applied', 'screening', 'interview', 'offer', 'hired', 'rejected');
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"department" text,
	"status" text DEFAULT 'open' NOT NULL,
	"salary_min" integer,
	"salary_max" integer,
	"description" text,
	"is_remote" boolean DEFAULT false NOT NULL,
	"organization_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_by" text,
	"modified_by" text,
	"deleted_by" text
);
--> statement-breakpoint
CREATE TABLE "candidates" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"phone" text,
	"resume_url" text,
	"source" text,
	"internal_notes" text,
	"organization_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_by" text,
	"modified_by" text,
	"deleted_by" text,
	"legal_name" text
);
--> statement-breakpoint
CREATE TABLE "interview_notes" (
	"id" text PRIMARY KEY NOT NULL,
	"candidate_id" text NOT NULL,
	"content" varchar(4000) NOT NULL,
	"rating" integer,
	"owner_id" text NOT NULL,
	"organization_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_by" text,
	"modified_by" text,
	"deleted_by" text
);
--> statement-breakpoint
CREATE TABLE "applications" (
	"id" text PRIMARY KEY NOT NULL,
	"candidate_id" text NOT NULL,
	"job_id" text NOT NULL,
	"stage" "application_stage" DEFAULT 'applied' NOT NULL,
	"notes" text,
	"organization_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_by" text,
	"modified_by" text,
	"deleted_by" text
);
--> statement-breakpoint
CREATE TABLE "interview_scores" (
	"id" text PRIMARY KEY NOT NULL,
	"application_id" text NOT NULL,
	"scorer_id" text NOT NULL,
	"score" integer NOT NULL,
	"feedback" varchar(4000),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_by" text,
	"modified_by" text,
	"deleted_by" text,
	"organization_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "atsImports" (
	"id" text PRIMARY KEY NOT NULL,
	"external_id" text NOT NULL,
	"source" text,
	"candidate_name" text,
	"candidate_email" text,
	"raw_payload" jsonb,
	"synced_at" timestamp with time zone,
	"organization_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_by" text,
	"modified_by" text,
	"deleted_by" text
);
--> statement-breakpoint
ALTER TABLE "interview_notes" ADD CONSTRAINT "interview_notes_candidate_id_candidates_id_fk" FOREIGN KEY ("candidate_id") REFERENCES "candidates"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_candidate_id_candidates_id_fk" FOREIGN KEY ("candidate_id") REFERENCES "candidates"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "interview_scores" ADD CONSTRAINT "interview_scores_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "jobs_status_idx" ON "jobs" USING btree ("status");
--> statement-breakpoint
CREATE UNIQUE INDEX "candidates_organizationId_email_unique" ON "candidates" USING btree ("organization_id","email");
--> statement-breakpoint
CREATE INDEX "applications_stage_idx" ON "applications" USING btree ("stage");
--> statement-breakpoint
CREATE UNIQUE INDEX "atsImports_organizationId_externalId_unique" ON "atsImports" USING btree ("organization_id","external_id");
--> statement-breakpoint
CREATE INDEX "jobs_organization_id_deleted_at_idx" ON "jobs" USING btree ("organization_id","deleted_at");
--> statement-breakpoint
CREATE INDEX "candidates_organization_id_deleted_at_idx" ON "candidates" USING btree ("organization_id","deleted_at");
--> statement-breakpoint
CREATE INDEX "applications_organization_id_deleted_at_idx" ON "applications" USING btree ("organization_id","deleted_at");
--> statement-breakpoint
CREATE INDEX "interview_notes_organization_id_deleted_at_idx" ON "interview_notes" USING btree ("organization_id","deleted_at");
