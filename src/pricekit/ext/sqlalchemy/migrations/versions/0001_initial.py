"""pricekit's tables: price lists, catalog, markdowns, promotions, deals, sync.

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-21 05:05:36.122926
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "pricekit_catalog_brands",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_catalog_brands")),
    )
    op.create_table(
        "pricekit_catalog_categories",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "parent_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["pricekit_catalog_categories.id"],
            name="fk_pricekit_catalog_categories_parent",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_catalog_categories")),
    )
    op.create_table(
        "pricekit_catalog_collections",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_catalog_collections")),
    )
    op.create_table(
        "pricekit_catalog_vendors",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_catalog_vendors")),
    )
    op.create_table(
        "pricekit_deal_locations",
        sa.Column(
            "location_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_pricekit_deal_locations")),
    )
    op.create_table(
        "pricekit_markdown_history",
        sa.Column(
            "id",
            sa.String(length=1000).with_variant(
                sa.String(length=1000, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "business_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "plan_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "wave_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "location_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "variant_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("price_before_minor", sa.BigInteger(), nullable=True),
        sa.Column("price_after_minor", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_markdown_history")),
    )
    with op.batch_alter_table("pricekit_markdown_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricekit_markdown_history_variant",
            ["business_id", "variant_id", "at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_pricekit_markdown_history_wave", ["wave_id", "at", "id"], unique=False
        )

    op.create_table(
        "pricekit_markdown_plans",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "business_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_markdown_plans")),
    )
    with op.batch_alter_table("pricekit_markdown_plans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricekit_markdown_plans_business", ["business_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_pricekit_markdown_plans_business_active",
            ["business_id", "is_active", "id"],
            unique=False,
        )

    op.create_table(
        "pricekit_markdown_waves",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "plan_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "business_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("floor_price_minor", sa.BigInteger(), nullable=True),
        sa.Column("min_margin_percent", sa.String(length=64), nullable=True),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "locations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_markdown_waves")),
    )
    with op.batch_alter_table("pricekit_markdown_waves", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricekit_markdown_waves_business", ["business_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_pricekit_markdown_waves_business_status",
            ["business_id", "status", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_pricekit_markdown_waves_plan_status", ["plan_id", "status", "id"], unique=False
        )
        batch_op.create_index("ix_pricekit_markdown_waves_status", ["status", "id"], unique=False)

    op.create_table(
        "pricekit_price_list_items",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "price_list_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column(
            "item_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("min_qty_micro", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_price_list_items")),
    )
    with op.batch_alter_table("pricekit_price_list_items", schema=None) as batch_op:
        batch_op.create_index("ix_pricekit_price_list_items_list", ["price_list_id"], unique=False)
        batch_op.create_index(
            "ix_pricekit_price_list_items_lookup",
            ["item_id", "item_type", "is_active"],
            unique=False,
        )

    op.create_table(
        "pricekit_price_list_scopes",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "price_list_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "location_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_price_list_scopes")),
    )
    with op.batch_alter_table("pricekit_price_list_scopes", schema=None) as batch_op:
        batch_op.create_index("ix_pricekit_price_list_scopes_list", ["price_list_id"], unique=False)

    op.create_table(
        "pricekit_price_lists",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "business_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_folded", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_price_lists")),
    )
    with op.batch_alter_table("pricekit_price_lists", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricekit_price_lists_business", ["business_id", "is_active"], unique=False
        )

    op.create_table(
        "pricekit_promotions",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "business_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("stackable", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column(
            "location_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "item_filter",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "rewards",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("max_uses", sa.BigInteger(), nullable=True),
        sa.Column("max_uses_per_customer", sa.BigInteger(), nullable=True),
        sa.Column("current_uses", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_promotions")),
    )
    with op.batch_alter_table("pricekit_promotions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricekit_promotions_business_active",
            ["business_id", "status", "valid_from", "valid_to"],
            unique=False,
        )
        batch_op.create_index(
            "ix_pricekit_promotions_status_valid_from", ["status", "valid_from"], unique=False
        )
        batch_op.create_index(
            "ix_pricekit_promotions_status_valid_to", ["status", "valid_to"], unique=False
        )

    op.create_table(
        "pricekit_sync_locks",
        sa.Column(
            "name",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pricekit_sync_locks")),
    )
    op.create_table(
        "pricekit_sync_runs",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "run_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("runner", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "report",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_pricekit_sync_runs")),
        sa.UniqueConstraint("run_id", name=op.f("uq_pricekit_sync_runs_run_id")),
    )
    op.create_table(
        "pricekit_catalog_products",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "category_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "brand_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "vendor_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["pricekit_catalog_brands.id"], name="fk_pricekit_catalog_products_brand"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["pricekit_catalog_categories.id"],
            name="fk_pricekit_catalog_products_category",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["pricekit_catalog_vendors.id"],
            name="fk_pricekit_catalog_products_vendor",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_catalog_products")),
    )
    with op.batch_alter_table("pricekit_catalog_products", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricekit_catalog_products_category", ["category_id"], unique=False
        )

    op.create_table(
        "pricekit_deals",
        sa.Column(
            "location_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "deal_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "deal",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["pricekit_deal_locations.location_id"],
            name=op.f("fk_pricekit_deals_location_id_pricekit_deal_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("location_id", "position", name=op.f("pk_pricekit_deals")),
        sa.UniqueConstraint(
            "location_id", "deal_id", name=op.f("uq_pricekit_deals_location_id_deal_id")
        ),
    )
    op.create_table(
        "pricekit_markdown_wave_items",
        sa.Column(
            "wave_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "variant_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "product_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("regular_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("base_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("markdown_price_minor", sa.BigInteger(), nullable=False),
        sa.Column(
            "stacked_on_wave_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("cost_minor", sa.BigInteger(), nullable=True),
        sa.Column("margin_percent", sa.String(length=64), nullable=True),
        sa.Column("below_cost", sa.Boolean(), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("exclusion_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["pricekit_markdown_waves.id"],
            name="fk_pricekit_markdown_wave_items_wave",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "wave_id", "variant_id", name=op.f("pk_pricekit_markdown_wave_items")
        ),
    )
    op.create_table(
        "pricekit_promotion_applications",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "promotion_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "business_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sale_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "location_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["pricekit_promotions.id"],
            name="fk_pricekit_promotion_applications_promotion",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_promotion_applications")),
        sa.UniqueConstraint(
            "promotion_id",
            "sale_id",
            name=op.f("uq_pricekit_promotion_applications_promotion_id_sale_id"),
        ),
    )
    with op.batch_alter_table("pricekit_promotion_applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricekit_promotion_applications_business_applied",
            ["business_id", "applied_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_pricekit_promotion_applications_customer_promotion",
            ["customer_id", "promotion_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_pricekit_promotion_applications_promotion_applied",
            ["promotion_id", "applied_at"],
            unique=False,
        )

    op.create_table(
        "pricekit_promotion_customer_uses",
        sa.Column(
            "promotion_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("uses", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["pricekit_promotions.id"],
            name="fk_pricekit_promotion_customer_uses_promotion",
        ),
        sa.PrimaryKeyConstraint(
            "promotion_id", "customer_id", name=op.f("pk_pricekit_promotion_customer_uses")
        ),
    )
    op.create_table(
        "pricekit_catalog_product_collections",
        sa.Column(
            "product_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "collection_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["pricekit_catalog_collections.id"],
            name="fk_pricekit_catalog_pc_collection",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["pricekit_catalog_products.id"], name="fk_pricekit_catalog_pc_product"
        ),
        sa.PrimaryKeyConstraint(
            "product_id", "collection_id", name=op.f("pk_pricekit_catalog_product_collections")
        ),
    )
    with op.batch_alter_table("pricekit_catalog_product_collections", schema=None) as batch_op:
        batch_op.create_index("ix_pricekit_catalog_pc_collection", ["collection_id"], unique=False)

    op.create_table(
        "pricekit_catalog_variants",
        sa.Column(
            "id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "product_id",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cost_minor", sa.BigInteger(), nullable=True),
        sa.Column("weight_grams", sa.String(length=64), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["pricekit_catalog_products.id"],
            name="fk_pricekit_catalog_variants_product",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricekit_catalog_variants")),
    )
    with op.batch_alter_table("pricekit_catalog_variants", schema=None) as batch_op:
        batch_op.create_index("ix_pricekit_catalog_variants_product", ["product_id"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("pricekit_catalog_variants", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_catalog_variants_product")

    op.drop_table("pricekit_catalog_variants")
    with op.batch_alter_table("pricekit_catalog_product_collections", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_catalog_pc_collection")

    op.drop_table("pricekit_catalog_product_collections")
    op.drop_table("pricekit_promotion_customer_uses")
    with op.batch_alter_table("pricekit_promotion_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_promotion_applications_promotion_applied")
        batch_op.drop_index("ix_pricekit_promotion_applications_customer_promotion")
        batch_op.drop_index("ix_pricekit_promotion_applications_business_applied")

    op.drop_table("pricekit_promotion_applications")
    op.drop_table("pricekit_markdown_wave_items")
    op.drop_table("pricekit_deals")
    with op.batch_alter_table("pricekit_catalog_products", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_catalog_products_category")

    op.drop_table("pricekit_catalog_products")
    op.drop_table("pricekit_sync_runs")
    op.drop_table("pricekit_sync_locks")
    with op.batch_alter_table("pricekit_promotions", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_promotions_status_valid_to")
        batch_op.drop_index("ix_pricekit_promotions_status_valid_from")
        batch_op.drop_index("ix_pricekit_promotions_business_active")

    op.drop_table("pricekit_promotions")
    with op.batch_alter_table("pricekit_price_lists", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_price_lists_business")

    op.drop_table("pricekit_price_lists")
    with op.batch_alter_table("pricekit_price_list_scopes", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_price_list_scopes_list")

    op.drop_table("pricekit_price_list_scopes")
    with op.batch_alter_table("pricekit_price_list_items", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_price_list_items_lookup")
        batch_op.drop_index("ix_pricekit_price_list_items_list")

    op.drop_table("pricekit_price_list_items")
    with op.batch_alter_table("pricekit_markdown_waves", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_markdown_waves_status")
        batch_op.drop_index("ix_pricekit_markdown_waves_plan_status")
        batch_op.drop_index("ix_pricekit_markdown_waves_business_status")
        batch_op.drop_index("ix_pricekit_markdown_waves_business")

    op.drop_table("pricekit_markdown_waves")
    with op.batch_alter_table("pricekit_markdown_plans", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_markdown_plans_business_active")
        batch_op.drop_index("ix_pricekit_markdown_plans_business")

    op.drop_table("pricekit_markdown_plans")
    with op.batch_alter_table("pricekit_markdown_history", schema=None) as batch_op:
        batch_op.drop_index("ix_pricekit_markdown_history_wave")
        batch_op.drop_index("ix_pricekit_markdown_history_variant")

    op.drop_table("pricekit_markdown_history")
    op.drop_table("pricekit_deal_locations")
    op.drop_table("pricekit_catalog_vendors")
    op.drop_table("pricekit_catalog_collections")
    op.drop_table("pricekit_catalog_categories")
    op.drop_table("pricekit_catalog_brands")
