"""failed-login throttle state; the default package scope grows

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:00:00

Scopes are now enforced over SOAP too, and Retrieve of tracking events needs
``tracking_events_read``, of business units ``accounts_read``. Packages created with the old
default scope (which lacked both) get the new default, so that nothing they did before stops
working; packages whose scope was chosen keep it.

Client secrets hashed the old way (unsalted SHA-256) cannot be rehashed here, since the secret
is not known: they keep working and are rehashed salted the first time they are used.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD_DEFAULT_SCOPE = (
    "email_read email_write email_send list_and_subscribers_read list_and_subscribers_write "
    "data_extensions_read data_extensions_write marketing_cloud_connect_read "
    "marketing_cloud_connect_write marketing_cloud_connect_send"
)
NEW_DEFAULT_SCOPE = (
    "email_read email_write email_send list_and_subscribers_read list_and_subscribers_write "
    "data_extensions_read data_extensions_write tracking_events_read tracking_events_write "
    "accounts_read accounts_write marketing_cloud_connect_read marketing_cloud_connect_write "
    "marketing_cloud_connect_send"
)

packages = sa.table("packages", sa.column("scope", sa.Text()))


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failures_last_failure_at"), ["last_failure_at"], unique=False
        )
    op.execute(
        packages.update()
        .where(packages.c.scope == OLD_DEFAULT_SCOPE)
        .values(scope=NEW_DEFAULT_SCOPE)
    )


def downgrade() -> None:
    op.execute(
        packages.update()
        .where(packages.c.scope == NEW_DEFAULT_SCOPE)
        .values(scope=OLD_DEFAULT_SCOPE)
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_last_failure_at"))
    op.drop_table("login_failures")
