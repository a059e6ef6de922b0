"""web and public app packages, authorization codes, campaign scopes

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-03 09:00:00

(Numbered 0009 as its branch was told; it follows 0010, which reached main first.)

Installed packages get an integration type (server, web, public) and redirect URIs; the
authorization codes of ``/v2/authorize`` are kept until used. Packages that had the default
scope (all Sendwell served) get the new campaign scopes with it, as 0004 did for tracking.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_DEFAULT_SCOPE = (
    "email_read email_write email_send list_and_subscribers_read list_and_subscribers_write "
    "data_extensions_read data_extensions_write tracking_events_read tracking_events_write "
    "accounts_read accounts_write marketing_cloud_connect_read marketing_cloud_connect_write "
    "marketing_cloud_connect_send"
)
NEW_DEFAULT_SCOPE = OLD_DEFAULT_SCOPE + " campaign_read campaign_write"

packages = sa.table("packages", sa.column("scope", sa.Text()))


def upgrade() -> None:
    with op.batch_alter_table("packages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("app_type", sa.String(length=10), nullable=False, server_default="server")
        )
        batch_op.add_column(
            sa.Column("redirect_uris", sa.Text(), nullable=False, server_default="")
        )
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("mid", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mid"], ["accounts.mid"], name=op.f("fk_authorization_codes_mid_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["packages.id"],
            name=op.f("fk_authorization_codes_package_id_packages"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["api_users.id"], name=op.f("fk_authorization_codes_user_id_api_users")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_authorization_codes")),
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
    op.drop_table("authorization_codes")
    with op.batch_alter_table("packages", schema=None) as batch_op:
        batch_op.drop_column("redirect_uris")
        batch_op.drop_column("app_type")
