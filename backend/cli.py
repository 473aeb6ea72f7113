"""Flask CLI commands: `flask seed-demo`, `flask create-user`, `flask sweep-jobs`…

The app factory registers them in every process, so what only one command needs and costs to
import (the demo seed, the LAN certificates' libraries) is imported inside that command."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select

from .auth.models import User
from .auth.service import create_user as create
from .channel.rollup import rebuild as rebuild_channel_rollups
from .config import INSTANCE
from .extensions import db
from .health.doctor import run_checks
from .jobs.sweeper import sweep
from .market.rollup import rebuild_cells
from .photos.duplicates import rehash as rehash_photos
from .photos.service import discard_stale_uploads as discard
from .sync.service import prune_changes as prune


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
    @click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same data).")
    def seed_demo(if_empty: bool, seed: int) -> None:
        """Create a believable demo organisation with a month of field history."""
        # Loaded only by this command: the demo seed is a big module no other process needs.
        from .demo.seed import seed_demo as run  # noqa: PLC0415

        if if_empty and db.session.scalar(select(func.count()).select_from(User)):
            click.echo("Database already has data; demo seed skipped.")
            return
        summary = run(seed=seed, echo=click.echo)
        click.echo("Demo data created: " + ", ".join(f"{v} {k}" for k, v in summary.items()))

    @app.cli.command("prune-changes")
    @click.option("--days", type=int, default=None, help="Keep this many days (default SYNC_CHANGE_RETENTION_DAYS).")
    def prune_changes(days: int | None) -> None:
        """Delete old sync change-log rows (run daily); clients with older cursors get a snapshot."""
        click.echo(f"Deleted {prune(days)} change-log rows.")

    @app.cli.command("discard-stale-uploads")
    @click.option("--hours", type=int, default=72, show_default=True, help="Idle for longer than this.")
    def discard_stale_uploads(hours: int) -> None:
        """Delete resumable photo uploads abandoned for `--hours` (run daily)."""
        count = discard(timedelta(hours=hours))
        db.session.commit()
        click.echo(f"Discarded {count} stale uploads.")

    @app.cli.command("rebuild-price-cells")
    @click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Only observations from this day.")
    def rebuild_price_cells(since) -> None:
        """Recompute HQ's price rollups from the raw observations (after a bulk load, say)."""
        click.echo(f"{rebuild_cells(since.date() if since else None)} price cells computed.")

    @app.cli.command("rebuild-channel")
    def rebuild_channel() -> None:
        """Recompute the channel's rollups (stock, sales by week, sell-out cells) from the
        shipments, live cards, reports and estimates: for a first deployment, after a bulk load
        that bypassed the ORM, or to check the increments."""
        counts = rebuild_channel_rollups()
        click.echo("Channel rollups rebuilt: " + ", ".join(f"{n} {table}" for table, n in counts.items()))

    @app.cli.command("rebuild-quality")
    def rebuild_quality() -> None:
        """Recompute HQ's quality rollup (units and service events per model, region of the sale
        and purchase day) from the cards and events, then raise the early-life alerts it shows:
        for a first deployment, after a bulk load that bypassed the ORM, or to check the increments."""
        from .aftersales import quality_alerts, quality_rollup  # noqa: PLC0415

        counts = quality_rollup.rebuild()
        raised = quality_alerts.raise_all()
        click.echo(
            "Quality rollup rebuilt: "
            + ", ".join(f"{n} {table}" for table, n in counts.items())
            + f"; {raised} alerts raised"
        )

    @app.cli.command("sweep-jobs")
    @click.option("--retry-failed", is_flag=True, help="Give failed jobs a new set of attempts (cause fixed).")
    def sweep_jobs(retry_failed: bool) -> None:
        """Dispatch waiting jobs, re-queue abandoned ones, fail those out of attempts (workers do
        this every JOB_SWEEP_SECONDS; run it from cron too if you like)."""
        result = sweep(retry_failed=retry_failed)
        click.echo(
            f"Dispatched {len(result.dispatched)}, re-queued {len(result.abandoned)} abandoned and "
            f"{len(result.lost)} lost, failed {len(result.failed)}, pruned {result.pruned} jobs."
        )

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["rep", "manager", "clerk", "hq", "admin"]), default="admin")
    @click.option("--name", "display_name", default=None)
    @click.option("--region-id", type=int)
    @click.option("--territory-id", type=int)
    @click.option("--store-id", type=int)
    @click.password_option()
    def create_user(username, role, display_name, region_id, territory_id, store_id, password) -> None:
        """Create a user (the first admin of a production install, say)."""
        system = User(id=0, username="cli", display_name="cli", password_hash="", role="admin")
        user = create(
            system,
            {
                "username": username,
                "display_name": display_name or username,
                "role": role,
                "region_id": region_id,
                "territory_id": territory_id,
                "store_id": store_id,
                "password": password,
            },
        )
        db.session.commit()
        click.echo(f"Created user {user.username} ({user.role}), id {user.id}.")

    @app.cli.command("lan-cert")
    @click.option("--dir", "folder", default=None, help="Where to keep them (default: instance/tls).")
    @click.option("--port", default=5000, show_default=True, help="The port the URLs printed use.")
    def lan_cert(folder: str | None, port: int) -> None:
        """Make HTTPS certificates for trying the app on a phone on this network."""
        # Loaded only by this command: trustme and cryptography take ~0.2 s to import.
        from .lan_https import lan_addresses, make_certificates  # noqa: PLC0415

        addresses = lan_addresses()
        paths = make_certificates(Path(folder) if folder else INSTANCE / "tls", [*addresses, "localhost", "127.0.0.1"])
        click.echo(f"Certificates in {paths['cert'].parent}.")
        if not addresses:
            click.echo("No network address found: only https://localhost will match the certificate.")
        for addr in addresses:
            click.echo(f"On a phone on this network: first install https://{addr}:{port}/lan-ca.crt")
            click.echo("  (accept the warning once; see README, 'On a phone'), then open")
            click.echo(f"  https://{addr}:{port}/")

    photos = click.Group("photos", help="Photo maintenance.")
    app.cli.add_command(photos)

    @photos.command("rehash")
    @click.option("--all", "everything", is_flag=True, help="Hash every photo again (after PHOTO_HASH_BANDS changed).")
    @click.option("--batch", type=click.IntRange(1, 10_000), default=200, show_default=True, help="Photos per commit.")
    @click.option("--after", type=click.UUID, default=None, help="Resume after this photo id (printed as it goes).")
    def photos_rehash(everything: bool, batch: int, after) -> None:
        """Compute the perceptual hash of stored photos that have none (photos from before the
        hash existed) and record their near-duplicates (recycled photos). Resumable."""
        last = None
        for last in rehash_photos(everything=everything, batch=batch, after=after):
            click.echo(
                f"{last.done + last.skipped}/{last.total} photos: {last.done} hashed, {last.with_matches} with "
                f"near-duplicates, {last.skipped} skipped; last id {last.last_id}"
            )
        click.echo("Nothing to hash." if last is None else "Done.")

    @app.cli.command("doctor")
    def doctor() -> None:
        """Check the deployment: database, migrations, Redis, queue, workers, disk (exit 1 on a problem)."""
        checks = run_checks()
        for check in checks:
            click.echo(f"{'ok ' if check['ok'] else 'BAD'}  {check['name']}: {check['detail']}")
        if not all(c["ok"] for c in checks):
            raise SystemExit(1)
