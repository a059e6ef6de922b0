"""The schema: every table Sendwell stores, for SQLite and PostgreSQL alike.

Partner API objects that are few per account (emails, profiles, classifications, lists, data
extension definitions, filter definitions, send definitions) live in one ``objects`` table as the
decoded partner-API property dict. Things that are many or drive the send pipeline have tables of
their own: subscribers, list memberships, data extension rows, send jobs, the recipient ledger
and its chunks, captured messages.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("mid", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("parent_mid", Integer, ForeignKey("accounts.mid"), nullable=True),
    Column("created_at", DateTime, nullable=False),
)

api_users = Table(
    "api_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("username", String(200), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

packages = Table(
    "packages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("client_id", String(100), nullable=False, unique=True),
    Column("secret_hash", String(200), nullable=False),
    Column("scope", Text, nullable=False),
    Column("legacy_allowed", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    # Installed-package integration type: "server" (client credentials), "web" (authorization
    # code with the secret) or "public" (authorization code, no secret; PKCE).
    Column("app_type", String(10), nullable=False, server_default="server"),
    Column("redirect_uris", Text, nullable=False, server_default=""),  # one per line
)

# Child business units a user or package may act for (besides its own account).
grants = Table(
    "grants",
    metadata,
    Column("principal", String(10), primary_key=True),  # "user" | "package"
    Column("principal_id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), primary_key=True),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(10), nullable=False),  # "access" | "legacy" | "refresh"
    Column("package_id", Integer, ForeignKey("packages.id"), nullable=False),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("scope", Text, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

# Failed-login throttle state, per user, client id and address (domain.login_throttle). The key
# is a SHA-256 of kind and value: a password typed into the username field is not kept.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime, nullable=False, index=True),
)

objects = Table(
    "objects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("type", String(60), nullable=False),
    Column("object_id", String(36), nullable=False, unique=True),
    Column("customer_key", String(200), nullable=True),
    Column("name", String(200), nullable=True),
    Column("props", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("modified_at", DateTime, nullable=False),
    UniqueConstraint("mid", "type", "customer_key", name="uq_objects_key"),
    Index("ix_objects_mid_type", "mid", "type"),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("subscriber_key", String(254), nullable=False),
    Column("email", String(254), nullable=False),
    Column("status", String(20), nullable=False, default="Active"),
    Column("attributes", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("unsubscribed_at", DateTime, nullable=True),
    UniqueConstraint("mid", "subscriber_key", name="uq_subscribers_key"),
)

list_members = Table(
    "list_members",
    metadata,
    Column("list_id", Integer, ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), primary_key=True),
    Column("status", String(20), nullable=False, default="Active"),
    Column("created_at", DateTime, nullable=False),
)

de_rows = Table(
    "de_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("de_id", Integer, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    # The primary-key field values joined, for upserts; NULL when the DE has no primary key.
    Column("row_key", String(500), nullable=True),
    # Sendable relationship extracted at write time, so audiences need no JSON parsing.
    Column("subscriber_key", String(254), nullable=True),
    Column("email", String(254), nullable=True),
    Column("data", JSON, nullable=False),
    UniqueConstraint("de_id", "row_key", name="uq_de_rows_key"),
    Index("ix_de_rows_de_id", "de_id", "id"),
)

send_jobs = Table(
    "send_jobs",
    metadata,
    Column("id", Integer, primary_key=True),  # the JobID / Send.ID
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("definition_id", Integer, ForeignKey("objects.id"), nullable=True),
    Column("interaction_object_id", String(36), nullable=False),
    Column("status", String(15), nullable=False),  # Sending | Complete | Canceled | Error
    Column("phase", String(15), nullable=False),  # audience | delivering | done
    Column("spec", JSON, nullable=False),  # what to send, frozen at start
    Column("targeted", Integer, nullable=False, default=0),
    Column("excluded", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("unsubscribed", Integer, nullable=False, default=0),  # ExistingUnsubscribes
    Column("undeliverable", Integer, nullable=False, default=0),  # ExistingUndeliverables
    Column("invalid", Integer, nullable=False, default=0),
    Column("sent", Integer, nullable=False, default=0),
    Column("errored", Integer, nullable=False, default=0),
    Column("deferred", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("modified_at", DateTime, nullable=False),
    Column("timings", JSON, nullable=True),  # seconds per pipeline phase
    # Throttling: no chunk is handed out before next_send_at (send windows, per-period limits).
    Column("next_send_at", DateTime, nullable=True),
    Column("period_start", DateTime, nullable=True),
    Column("period_sent", Integer, nullable=False, default=0, server_default="0"),
    Column("completed_at", DateTime, nullable=True),
    # What started the job (domain.jobs.JobOrigin); triggered and transactional jobs are
    # continuous: recipients are appended as requests come (last_seq), and they never complete
    # on their own. Workers take chunks of higher-priority jobs first.
    Column("origin", String(40), nullable=False, server_default="EmailSendDefinition"),
    Column("continuous", Boolean, nullable=False, server_default=false()),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("last_seq", Integer, nullable=False, server_default="0"),
    Column("revision", Integer, nullable=False, server_default="1"),  # bumped when the spec is
    # republished (RefreshContent): workers compile the message again
    Column("scheduled_at", DateTime, nullable=True),  # a Scheduled job starts then (UTC)
    Column("schedule", JSON, nullable=True),  # the recurrence still to come after this job
    Index("ix_send_jobs_phase", "phase"),
    Index("ix_send_jobs_due", "status", "scheduled_at"),
    Index("ix_send_jobs_definition", "mid", "definition_id", "id"),
)

# The recipient ledger: one row per recipient of a job, the only truth of who was sent what.
recipients = Table(
    "recipients",
    metadata,
    Column("job_id", Integer, ForeignKey("send_jobs.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("subscriber_key", String(254), nullable=False),
    Column("email", String(254), nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("status", String(10), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("smtp_code", Integer, nullable=True),
    Column("smtp_reply", Text, nullable=True),
    Column("message_id", String(250), nullable=True),
    Column("sent_at", DateTime, nullable=True),
    Column("first_attempt_at", DateTime, nullable=True),  # retries give up past a maximum age
    Column("next_attempt_at", DateTime, nullable=True),  # when a deferred recipient is retried
    # Why a recipient was not sent, as Marketing Cloud's subscriber error codes say it
    # (domain.not_sent): 1 Unsubscribed, 111 ScriptRaiseError, ...; None when it was sent.
    Column("reason_code", Integer, nullable=True),
    Column("batch_id", Integer, nullable=True),  # the triggered send request that added it
    Column("created_at", DateTime, nullable=True),  # when a continuous job's request came
)

chunks = Table(
    "chunks",
    metadata,
    Column("job_id", Integer, ForeignKey("send_jobs.id"), primary_key=True),
    Column("chunk_no", Integer, primary_key=True, autoincrement=False),
    Column("first_seq", Integer, nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("state", String(10), nullable=False, default="pending"),  # pending|claimed|done
    Column("lease_until", DateTime, nullable=True),
    Column("owner", String(100), nullable=True),
    Column("not_before", DateTime, nullable=True),  # a chunk holding deferred recipients waits
    Index("ix_chunks_state", "state", "job_id"),
)

captured_messages = Table(
    "captured_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, nullable=False),
    Column("job_id", Integer, nullable=True),
    Column("seq", Integer, nullable=True),
    Column("mail_from", String(254), nullable=False),
    Column("rcpt_to", String(254), nullable=False),
    Column("message_id", String(250), nullable=True),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_captured_mid", "mid", "id"),
)

retrieve_cursors = Table(
    "retrieve_cursors",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("mid", Integer, nullable=False),
    Column("state", JSON, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

# --- The REST Send API (integrated Salesforce sends) ---------------------------------------

send_definitions = Table(
    "send_definitions",
    metadata,
    Column("id", Integer, primary_key=True),  # DefinitionId
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("external_key", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("body", JSON, nullable=False),  # the EmailDefinition as stored (defaults filled)
    Column("created_at", DateTime, nullable=False),
    Column("modified_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True),  # soft delete: instances keep pointing here
    UniqueConstraint("mid", "external_key", name="uq_send_definitions_key"),
)

send_instances = Table(
    "send_instances",
    metadata,
    Column("id", Integer, primary_key=True),  # InstanceId
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("definition_id", Integer, ForeignKey("send_definitions.id"), nullable=False),
    # Scheduled | Processing | Sending | Cancel Pending | Complete | Canceled | Error
    Column("status", String(20), nullable=False),
    Column("scheduled_at", DateTime, nullable=False),  # effective start time (UTC)
    Column("sync_id", Integer, nullable=True),
    Column("job_id", Integer, ForeignKey("send_jobs.id"), nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("modified_at", DateTime, nullable=False),
    Column("started_at", DateTime, nullable=True),
    Column("completed_at", DateTime, nullable=True),
    Index("ix_send_instances_due", "status", "scheduled_at"),
    Index("ix_send_instances_mid", "mid", "id"),
)

# One resolution of a Salesforce audience (the instance's SyncId) and the members it found.
syncs = Table(
    "syncs",
    metadata,
    Column("id", Integer, primary_key=True),  # SyncId
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("instance_id", Integer, ForeignKey("send_instances.id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("seconds", JSON, nullable=True),
    Column("counts", JSON, nullable=True),
)

sync_members = Table(
    "sync_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sync_id", Integer, ForeignKey("syncs.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(10), nullable=False),  # "target" | "exclusion"
    Column("sf_id", String(18), nullable=False),  # 18-character Salesforce id = SubscriberKey
    Column("kind", String(10), nullable=False),  # "Contact" | "Lead"
    Column("email", String(254), nullable=True),
    Column("opted_out", Boolean, nullable=False, default=False),
    Column("attributes", JSON, nullable=False),  # Id, FirstName, LastName, Email, …
    Index("ix_sync_members_sync", "sync_id", "role", "id"),
)

# --- The local CRM store: Salesforce records for the offline stand-in ------------------------

crm_people = Table(  # Contacts and Leads
    "crm_people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("sf_id", String(18), nullable=False),
    Column("kind", String(10), nullable=False),  # "Contact" | "Lead"
    Column("first_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=True),
    Column("email", String(254), nullable=True),
    Column("opted_out", Boolean, nullable=False, default=False),  # HasOptedOutOfEmail
    Column("fields", JSON, nullable=False),  # every column of the CSV row, by Salesforce name
    UniqueConstraint("mid", "sf_id", name="uq_crm_people_id"),
)

crm_campaigns = Table(
    "crm_campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("sf_id", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("mid", "sf_id", name="uq_crm_campaigns_id"),
)

crm_campaign_members = Table(
    "crm_campaign_members",
    metadata,
    Column(
        "campaign_id", Integer, ForeignKey("crm_campaigns.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("person_id", Integer, ForeignKey("crm_people.id", ondelete="CASCADE"), primary_key=True),
)

crm_reports = Table(
    "crm_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("sf_id", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("mid", "sf_id", name="uq_crm_reports_id"),
)

crm_report_rows = Table(
    "crm_report_rows",
    metadata,
    Column(
        "report_id", Integer, ForeignKey("crm_reports.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("person_id", Integer, ForeignKey("crm_people.id", ondelete="CASCADE"), primary_key=True),
)

# How an account reaches its Salesforce org; no row = the local CRM store.
crm_connections = Table(
    "crm_connections",
    metadata,
    Column("mid", Integer, ForeignKey("accounts.mid"), primary_key=True),
    Column("kind", String(20), nullable=False),  # "local" | "salesforce"
    Column("settings", JSON, nullable=False),  # instance URL, API version, credentials (sealed)
)


# --- Tracking: the links of each job, and every event a recipient causes -------------------

job_links = Table(
    "job_links",
    metadata,
    Column("job_id", Integer, ForeignKey("send_jobs.id"), primary_key=True),
    Column("url_id", Integer, primary_key=True, autoincrement=False),  # ClickEvent.URLID
    Column("url", Text, nullable=False),
    Column("alias", String(200), nullable=True),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("job_id", Integer, ForeignKey("send_jobs.id"), nullable=False),
    Column("seq", Integer, nullable=True),  # the recipient in the job's ledger
    Column("subscriber_key", String(254), nullable=False),
    # Open | Click | Unsubscribe | HardBounce | SoftBounce | OtherBounce
    Column("event_type", String(20), nullable=False),
    Column("event_date", DateTime, nullable=False),
    Column("url_id", Integer, nullable=True),
    Column("details", JSON, nullable=False),  # SMTP code and reason, bounce category, URL, …
    Index("ix_tracking_events_job", "job_id", "event_type", "id"),
    Index("ix_tracking_events_mid", "mid", "event_type", "event_date"),
    Index("ix_tracking_events_subscriber", "mid", "subscriber_key", "event_type"),
)

# Keys callers give single messages: the Transactional Messaging API's messageKey (unique per
# account for 72 hours) and the legacy triggered send's recipientSendId. Each names one
# recipient of a continuous job's ledger.
message_keys = Table(
    "message_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("kind", String(20), nullable=False),  # messageKey | recipientSendId
    Column("message_key", String(100), nullable=False),
    Column("definition_key", String(200), nullable=True),
    Column("job_id", Integer, ForeignKey("send_jobs.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("mid", "kind", "message_key", name="uq_message_keys"),
    Index("ix_message_keys_job", "job_id", "seq"),
)

# Asynchronous data extension row requests (REST /data/v1/async, /hub/v1/dataeventsasync): kept
# as sent, done by a worker (Pending → Executing → Complete), one result per row.
row_requests = Table(
    "row_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", String(36), nullable=False, unique=True),  # the caller's requestId
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    # The data extension (objects.id); no foreign key: a request whose data extension was
    # deleted meanwhile ends with an error for each row instead of vanishing.
    Column("de_id", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # insert | upsert | dataevents
    Column("items", JSON, nullable=False),  # the rows as sent; emptied once done
    Column("status", String(10), nullable=False),  # Pending | Executing | Complete | Error
    Column("has_errors", Boolean, nullable=False, server_default=false()),
    Column("results", JSON, nullable=True),  # one {"status", "errorCode", "message"} per row
    Column("created_at", DateTime, nullable=False),  # callDateTime
    Column("picked_up_at", DateTime, nullable=True),  # pickupDateTime; a lease when Executing
    Column("completed_at", DateTime, nullable=True),
    Index("ix_row_requests_due", "status", "id"),
)

# AMPscript's writes to data extensions during sends, by their once-only key (recipient,
# content, call site, run): a recipient rendered again (a retried chunk) writes nothing twice.
ampscript_writes = Table(
    "ampscript_writes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, ForeignKey("send_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("write_key", String(200), nullable=False),
    Column("rows", Integer, nullable=False),  # what the write returned the first time
    Column("result", String(100), nullable=True),  # a created object's ID (Salesforce)
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("job_id", "write_key", name="uq_ampscript_writes"),
)

# The account's key store (Marketing Cloud's Key Management) for EncryptSymmetric and
# DecryptSymmetric: keys by external key, their values sealed with the installation's secret.
account_keys = Table(
    "account_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("customer_key", String(200), nullable=False),  # the external key content names
    Column("kind", String(20), nullable=False),  # password | salt | iv
    Column("sealed_value", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("mid", "customer_key", name="uq_account_keys"),
)

# --- The inbox and fault injection (the pages, the admin API) -------------------------------

# What the inbox lists and searches, one row per captured message (same id), kept apart from
# the message bytes so that a search scans a few hundred bytes per message, never the blob.
captured_index = Table(
    "captured_index",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # captured_messages.id
    Column("mid", Integer, nullable=False),
    Column("job_id", Integer, nullable=True),
    Column("seq", Integer, nullable=True),
    Column("rcpt_to", String(254), nullable=False),  # lower-cased
    Column("mail_from", String(254), nullable=False),
    Column("subject", String(500), nullable=False),
    # Lower-cased subject, addresses and the start of the text part: what free text matches.
    Column("haystack", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_captured_index_mid", "mid", "id"),
    Index("ix_captured_index_job", "mid", "job_id", "id"),
    Index("ix_captured_index_rcpt", "mid", "rcpt_to", "id"),
)

# Faults an operator asked for (SENDWELL_FAULT_INJECTION): what to break, for which account,
# how often. ``remaining`` counts down (None: until cleared); ``share`` picks a fraction.
faults = Table(
    "faults",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mid", Integer, nullable=False),
    Column("target", String(10), nullable=False),  # soap | rest | token | transport
    Column("match", String(200), nullable=True),  # SOAP operation, REST path prefix
    Column("kind", String(20), nullable=False),  # domain.faults.FaultKind
    Column("code", Integer, nullable=True),  # error code, HTTP status or SMTP reply code
    Column("message", Text, nullable=True),
    Column("share", Float, nullable=True),  # 0 < share <= 1, None: every matching call
    Column("remaining", Integer, nullable=True),
    Column("delay_ms", Integer, nullable=True),
    Column("retry_after", Integer, nullable=True),
    Column("hits", Integer, nullable=False, default=0),
    Column("last_hit_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_faults_mid", "mid", "target"),
)

# Every fault injected: what the pages and `sendwell fault list` show.
fault_log = Table(
    "fault_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", Integer, nullable=False),
    Column("mid", Integer, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("what", Text, nullable=False),
    Index("ix_fault_log_mid", "mid", "id"),
)

# Authorization codes of web and public apps (/v2/authorize): single use, a few minutes long,
# for the user who signed in and the redirect URI and PKCE challenge of the request.
authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("package_id", Integer, ForeignKey("packages.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("api_users.id"), nullable=False),
    Column("mid", Integer, ForeignKey("accounts.mid"), nullable=False),
    Column("scope", Text, nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("code_challenge", String(128), nullable=True),
    Column("code_challenge_method", String(10), nullable=True),
    Column("expires_at", DateTime, nullable=False),
)
