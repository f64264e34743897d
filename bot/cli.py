"""The `salesbot` command: serve, worker, db, chat, parse, and the admin nouns (users, teams, …)."""

from __future__ import annotations

import json
import logging
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from config.instants import read_instant
from config.settings import ConfigError, Settings, load
from storage.states import Role

ROLE_NAMES = [role.value for role in Role]

log = logging.getLogger("salesbot")


def _settings() -> Settings:
    try:
        return load()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _parse_now(value: str | None, settings: Settings) -> datetime | None:
    """An ISO instant; a naive one is read in the configured time zone."""
    if value is None:
        return None
    try:
        return read_instant(value, settings.tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _now(value: str | None, settings: Settings) -> datetime:
    return _parse_now(value, settings) or datetime.now(UTC)


@contextmanager
def _runtime(settings: Settings, **kwargs: Any) -> Iterator[Any]:
    from bot import runtime
    from storage.migrate import SchemaOutOfDate

    try:
        rt = runtime.build_runtime(settings, **kwargs)
    except SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from exc
    with runtime.installed(rt):
        yield rt


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _show(rows: list[dict[str, Any]], as_json: bool, line: str) -> None:
    """Print `rows` as a JSON array, or one `line.format(**row)` each (None shown as -)."""
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        shown = {k: "-" if v is None else " ".join(v) if isinstance(v, list) else v for k, v in row.items()}
        click.echo(line.format(**shown))


def _user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn business refusals and bad input from storage into click errors (exit code 1)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Imported at call time: `salesbot parse` never touches storage and should not pay for SQLAlchemy.
        from storage.identity import InvalidIdentity
        from storage.leads import Refusal
        from storage.people import InvalidInput

        try:
            return func(*args, **kwargs)
        except (InvalidInput, InvalidIdentity, Refusal) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


class IdentityParam(click.ParamType):
    """PLATFORM:ID on one of the registered platforms (`wecom:zhangwei`), given back as written."""

    name = "PLATFORM:ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from bot.platforms import known_identity
        from storage.identity import InvalidIdentity

        try:
            return str(known_identity(str(value)))
        except InvalidIdentity as exc:
            self.fail(str(exc), param, ctx)


IDENTITY = IdentityParam()


def _group_channel_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """One `--CHANNEL ADDRESS` option per group channel of the registered platforms (`--wecom-webhook URL`)."""
    from bot.platforms import group_channels

    for channel in reversed(group_channels()):
        func = click.option(channel.option, channel.channel, help=channel.help)(func)
    return func


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """salesbot: a chat-first sales CRM for WeCom and Feishu."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("rq", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


# ---------------------------------------------------------------- processes


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app; with the embedded queue, also run the worker and the scheduler here."""
    import waitress

    from bot.app import create_app
    from bot.longconn import start_keepers, stop_keepers
    from bot.periodic import tick
    from bot.platforms.chat import TerminalSender

    settings = _settings()
    with _runtime(settings) as rt:
        # Messages for platforms that are not configured are printed here (try it with `salesbot chat`).
        rt.senders.setdefault("chat", TerminalSender(sys.stdout))
        app = create_app(settings, rt)
        keepers = []
        if rt.queue.embedded:
            rt.queue.start(tick=lambda now: tick(rt, now))
            keepers = start_keepers(rt)  # long connections: with Redis, `salesbot worker` keeps them
        log.info(
            "salesbot serving on http://%s:%s (database %s, %s queue, platforms: %s)",
            host,
            port,
            rt.engine.url.render_as_string(hide_password=True),
            "embedded" if rt.queue.embedded else "redis",
            ", ".join(settings.platforms) or "none (try `salesbot chat`)",
        )
        try:
            waitress.serve(app, host=host, port=port, threads=threads, ident="salesbot")
        finally:
            stop_keepers(keepers)


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker with the scheduler and the inbox feeder (production; start as many as needed)."""
    from bot.longconn import start_keepers, stop_keepers
    from bot.periodic import tick

    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException("SALESBOT_REDIS_URL is not set: `salesbot serve` runs the embedded worker itself")
    with _runtime(settings) as rt:
        stop = threading.Event()

        def ticker() -> None:
            while not stop.wait(15):
                tick(rt, datetime.now(UTC))

        threading.Thread(target=ticker, name="salesbot-ticker", daemon=True).start()
        feeder = threading.Thread(target=rt.queue.feed, args=(stop,), name="salesbot-feeder", daemon=True)
        keepers = []
        if burst:
            rt.queue.drain_inbox()
        else:
            feeder.start()
            keepers = start_keepers(rt)  # one worker of the deployment holds each long connection
        try:
            # Jobs run in this process (no fork per job): they are short, and the database pool and the
            # platform clients stay warm. Start more `salesbot worker` processes to scale out.
            rt.queue.worker().work(
                with_scheduler=True, burst=burst, logging_level=logging.getLogger("rq").getEffectiveLevel()
            )
        finally:
            stop.set()
            stop_keepers(keepers)
            if feeder.is_alive():
                feeder.join(timeout=5)  # it finishes the id in hand: nothing popped is dropped on a stop


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations up to the newest revision."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(_settings().database_url)
    upgrade(engine)
    engine.dispose()
    click.echo("database is up to date")


# ---------------------------------------------------------------- talking to the bot


@main.command()
@click.option("--as", "identity", required=True, type=IDENTITY, help="Who you are, e.g. wecom:zhangwei")
@click.option("--now", "now_text", help="Pretend the time is this ISO instant (for repeatable sessions).")
@click.option("--name", help="Your display name, if you are new.")
def chat(identity: str, now_text: str | None, name: str | None) -> None:
    """Talk to the bot in the terminal, through the same pipeline as a platform message."""
    from bot import texts
    from bot.inbound import accept
    from bot.platforms.base import InboundMessage
    from bot.platforms.chat import TerminalSender
    from bot.runtime import make_queue

    settings = _settings()
    fixed_now = _parse_now(now_text, settings)
    interactive = sys.stdin.isatty()
    with _runtime(settings, queue=make_queue(redis_url=None)) as rt:
        rt.senders["chat"] = TerminalSender(sys.stdout)
        if interactive:
            click.echo(texts.CHAT_BANNER)
        while True:
            if interactive:
                click.echo("你> ", nl=False)
            line = sys.stdin.readline()
            if not line:
                break
            if not line.strip():
                continue
            message = InboundMessage(
                channel="chat",
                sender=identity,
                sender_name=name,
                text=line.rstrip("\n"),
                received_at=fixed_now or datetime.now(UTC),
            )
            accept(rt, message, platform="chat", dedup_key=uuid.uuid4().hex)
            rt.queue.drain()


@main.command()
@click.option("--now", "now_text", help="Reference time for relative dates (ISO 8601).")
def parse(now_text: str | None) -> None:
    """Parse one note per stdin line (text, or JSON with `text` and optional `now`) into JSON lines."""
    from nlp import parse_note
    from nlp.model import use_data_dir

    settings = _settings()
    use_data_dir(settings.data_dir)
    default_now = _now(now_text, settings)
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        text, now = line, default_now
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise click.ClickException(f"line is not valid JSON: {exc}") from exc
            text = str(data.get("text", ""))
            now = _parse_now(data.get("now"), settings) or default_now
        note = parse_note(text, now.astimezone(settings.tz))
        click.echo(json.dumps(note.to_json(), ensure_ascii=False))


# ---------------------------------------------------------------- admin nouns


@main.group()
def users() -> None:
    """People who use the bot."""


@users.command("add")
@click.argument("identity", type=IDENTITY)
@click.option("--name", required=True)
@click.option("--team")
@click.option(
    "--role", type=click.Choice(ROLE_NAMES), help="Set by hand: a directory sync keeps it (a new person: rep)."
)
@_user_errors
def users_add(identity: str, name: str, team: str | None, role: str | None) -> None:
    """Add a person (or update their name, team and role)."""
    from storage.people import add_user

    settings = _settings()
    with _runtime(settings) as rt, rt.transaction() as session:
        user = add_user(session, identity, name=name, role=role, team=team, now=datetime.now(UTC))
        click.echo(f"user {user.id}: {user.name} ({identity}, {user.role})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def users_list(as_json: bool) -> None:
    """List people."""
    from storage.views import users_json

    with _runtime(_settings()) as rt, rt.transaction() as session:
        rows = users_json(session)
    _show(rows, as_json, "{id:>4}  {name}  {role}  {team}  {identities}")


@main.group()
def teams() -> None:
    """Teams and their managers."""


@teams.command("add")
@click.argument("name")
@click.option("--manager", required=True, type=IDENTITY, help="PLATFORM:ID of the team's manager")
@_user_errors
def teams_add(name: str, manager: str) -> None:
    """Add a team (or change its manager)."""
    from storage.people import add_team

    with _runtime(_settings()) as rt, rt.transaction() as session:
        team = add_team(session, name, manager_key=manager, now=datetime.now(UTC))
        click.echo(f"team {team.id}: {team.name}, managed by {manager}")


@teams.command("list")
@click.option("--json", "as_json", is_flag=True)
def teams_list(as_json: bool) -> None:
    """List teams."""
    from storage.views import teams_json

    with _runtime(_settings()) as rt, rt.transaction() as session:
        rows = teams_json(session)
    _show(rows, as_json, "{id:>4}  {name}  manager {manager}  members {members}")


@main.group()
def targets() -> None:
    """Monthly sales targets of teams and reps (the cockpit's forecast against target)."""


@targets.command("set")
@click.option("--team", help="the team's name")
@click.option("--rep", type=IDENTITY, help="PLATFORM:ID of the rep")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--amount", required=True, type=click.IntRange(min=0), help="yuan")
@_user_errors
def targets_set(team: str | None, rep: str | None, month: str, amount: int) -> None:
    """Set the target of one team or one rep for a month (or change it)."""
    from storage.targets import set_target

    with _runtime(_settings()) as rt, rt.transaction() as session:
        set_target(session, month=month, amount=amount, team=team, rep=rep, now=datetime.now(UTC))
    click.echo(f"target {month}: {team or rep} {amount}")


@targets.command("list")
@click.option("--month", help="YYYY-MM")
@click.option("--json", "as_json", is_flag=True)
@_user_errors
def targets_list(month: str | None, as_json: bool) -> None:
    """List targets."""
    from dataclasses import asdict

    from storage.targets import list_targets

    with _runtime(_settings()) as rt, rt.transaction() as session:
        rows = [asdict(t) for t in list_targets(session, month=month)]
    _show(rows, as_json, "{month}  {team}  {rep}  {amount}")


@main.group()
def groups() -> None:
    """Group chats where a team's posts go."""


@groups.command("add")
@click.option("--team", required=True)
@_group_channel_options
@click.option("--secret", help="The group bot's signing secret, where it checks signatures")
@_user_errors
def groups_add(team: str, secret: str | None, **addresses: str | None) -> None:
    """Add a group target for a team: exactly one of the channel options, with its address."""
    from bot.platforms import group_channels
    from storage.people import add_group_target

    given = {channel: address for channel, address in addresses.items() if address}
    if len(given) != 1:
        options = ", ".join(channel.option for channel in group_channels())
        raise click.UsageError(f"give exactly one of {options}")
    ((channel, address),) = given.items()
    with _runtime(_settings()) as rt, rt.transaction() as session:
        target = add_group_target(session, team, channel=channel, address=address, secret=secret, now=datetime.now(UTC))
        click.echo(f"group target {target.id}: {channel} for team {team}")


@main.group()
def leads() -> None:
    """Leads."""


@leads.command("add")
@click.option("--owner", required=True, type=IDENTITY, help="PLATFORM:ID of the rep who gets the lead")
@click.option("--company", required=True)
@click.option("--contact")
@click.option("--phone")
@click.option("--now", "now_text")
@_user_errors
def leads_add(owner: str, company: str, contact: str | None, phone: str | None, now_text: str | None) -> None:
    """Give a rep a lead that has no activity yet."""
    from storage.leads import add_assigned_lead
    from storage.people import InvalidInput, find_user

    settings = _settings()
    with _runtime(settings) as rt, rt.transaction() as session:
        user = find_user(session, owner)
        if user is None:
            raise InvalidInput(f"no user {owner}; add them first with `salesbot users add`")
        lead = add_assigned_lead(
            session,
            user,
            company=company,
            contact_name=contact,
            phone=phone,
            now=_now(now_text, settings),
            rules=rt.rules,
        )
        click.echo(f"lead {lead.id}: {company} → {owner}")


@leads.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--owner", type=IDENTITY, help="Only this rep's leads (PLATFORM:ID)")
@click.option("--now", "now_text", help="Compute lights as of this time.")
@_user_errors
def leads_list(as_json: bool, owner: str | None, now_text: str | None) -> None:
    """List leads."""
    from storage.people import InvalidInput, find_user
    from storage.views import all_leads, leads_json

    settings = _settings()
    with _runtime(settings) as rt, rt.transaction() as session:
        user = None
        if owner:
            user = find_user(session, owner)
            if user is None:
                raise InvalidInput(f"no user {owner}")
        rows = leads_json(
            session, all_leads(session, user), now=_now(now_text, settings), tz=settings.tz, rules=rt.rules
        )
    _show(rows, as_json, "{id:>5}  {light:<6}  {company}  {contact_name}  {phone}  {owner}  next {next_follow_up_at}")


@main.group()
def activities() -> None:
    """Activities logged on leads."""


@activities.command("list")
@click.option("--json", "as_json", is_flag=True)
def activities_list(as_json: bool) -> None:
    """List activities."""
    from storage.views import activities_json

    settings = _settings()
    with _runtime(settings) as rt, rt.transaction() as session:
        rows = activities_json(session, tz=settings.tz)
    _show(rows, as_json, "{id:>5}  lead {lead_id}  {author}  {type}  {text}")


@main.group()
def outbox() -> None:
    """Messages the bot sends."""


@outbox.command("list")
@click.option("--json", "as_json", is_flag=True)
def outbox_list(as_json: bool) -> None:
    """List outbox messages."""
    from storage.views import outbox_json

    settings = _settings()
    with _runtime(settings) as rt, rt.transaction() as session:
        rows = outbox_json(session, tz=settings.tz)
    _show(rows, as_json, "{id:>5}  {status:<7}  {kind:<10}  {channel}  {recipient}  {dedup_key}  {last_error}")


@main.group()
def org() -> None:
    """The company directory: departments become teams, leaders managers."""


def _directory_names() -> list[str]:
    from bot.platforms import ADAPTERS

    return [adapter.name for adapter in ADAPTERS if adapter.directory is not None]


@org.command("sync")
@click.option("--platform", type=click.Choice(_directory_names()), help="One platform (default: every configured one).")
@click.option("--dry-run", is_flag=True, help="Print what would change, and change nothing.")
@_user_errors
def org_sync(platform: str | None, dry_run: bool) -> None:
    """Sync teams, managers and people from the directory; leavers are deactivated and their leads handed on."""
    from bot.org_sync import DirectoryUnreadable, directory_platforms, sync_platform

    settings = _settings()
    with _runtime(settings) as rt:
        platforms = [platform] if platform else directory_platforms(rt)
        if not platforms:
            raise click.ClickException("no platform is configured: set SALESBOT_WECOM_* or SALESBOT_FEISHU_*")
        for name in platforms:
            try:
                report = sync_platform(rt, name, now=datetime.now(UTC), dry_run=dry_run)
            except DirectoryUnreadable as exc:
                raise click.ClickException(str(exc)) from exc
            for line in report.lines():
                click.echo(f"{name}: {line}")
            counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.counts().items())
            click.echo(f"{name}{' (dry run, nothing changed)' if dry_run else ''}: {counts}")
        if rt.queue.embedded:
            rt.queue.drain()


@main.group()
def jobs() -> None:
    """Background jobs."""


@jobs.command("run")
@click.argument("name")
@click.option("--now", "now_text", help="Run as if it were this ISO instant.")
def jobs_run(name: str, now_text: str | None) -> None:
    """Run one job once, now or at a given instant, and send what it produces."""
    from bot.periodic import JOBS

    if name not in JOBS:
        raise click.BadParameter(f"unknown job {name!r}; one of: {', '.join(sorted(JOBS))}", param_hint="NAME")
    from bot.platforms.chat import TerminalSender

    settings = _settings()
    with _runtime(settings) as rt:
        # What has no platform configured here is printed instead of sent.
        rt.senders.setdefault("chat", TerminalSender(sys.stdout))
        result = JOBS[name](_now(now_text, settings).isoformat())
        if rt.queue.embedded:
            rt.queue.drain()
    click.echo(json.dumps({"job": name, "result": result}, ensure_ascii=False))


# ---------------------------------------------------------------- the trained reader


@main.group("nlp")
def nlp_group() -> None:
    """The trained note reader: rebuild it, and say which model is in use."""


@nlp_group.command("train")
@click.option("--shipped", is_flag=True, help="Rebuild the model shipped in the package (make train).")
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of labelled JSONL notes (default: tests/data/corpus of the source checkout).",
)
@click.option(
    "--examples",
    "example_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSONL file of this company's own labelled notes (the corpus format), learnt with the corpus.",
)
@click.option(
    "--with-corrections",
    is_flag=True,
    help="Also learn the notes reps corrected in this deployment's database (see `nlp corrections --jsonl`).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the model here instead.")
def nlp_train(
    shipped: bool, corpus_dir: Path | None, example_files: tuple[Path, ...], with_corrections: bool, out: Path | None
) -> None:
    """Train the reader on the labelled corpus and save it (the deployment's data dir, or --shipped)."""
    from nlp import model as reader
    from nlp.training import CORPUS_DIR, corpus_records, read_records, train_model

    settings = _settings()
    if shipped and with_corrections:
        raise click.UsageError("the shipped model is built from the corpus alone; train a deployment's own model")
    try:
        records = corpus_records(corpus_dir or CORPUS_DIR)
        own = [record for path in example_files for record in read_records(path)]
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc}; pass --corpus DIR") from exc
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"a labelled note cannot be read: {exc}") from exc
    corrected = _corrected_records(settings) if with_corrections else []
    sources = {
        "corpus": len(records),
        **({"examples": len(own)} if own else {}),
        **({"corrections": len(corrected)} if with_corrections else {}),
    }
    own += corrected
    trained = train_model(records + own, sources=sources)
    path = out or (reader.SHIPPED if shipped else settings.data_dir / reader.DEPLOYMENT_FILE)
    trained.to_file(path)
    click.echo(f"trained on {trained.examples} examples ({len(trained.features)} features): {path}")


def _corrected_records(settings: Settings) -> list[dict]:
    from bot.correction_examples import correction_records

    with _runtime(settings) as rt, rt.transaction() as session:
        return correction_records(session, tz=settings.tz, rules=rt.rules)


@nlp_group.command("corrections")
@click.option(
    "--jsonl", "as_jsonl", is_flag=True, required=True, help="One labelled note per line (the corpus format)."
)
def nlp_corrections(as_jsonl: bool) -> None:
    """Print reps' corrections as labelled notes, for `salesbot nlp train --examples FILE`."""
    for record in _corrected_records(_settings()):
        click.echo(json.dumps(record, ensure_ascii=False))


@nlp_group.command("status")
def nlp_status() -> None:
    """Which model reads notes here, when it was trained and on how many examples."""
    from nlp import model as reader

    settings = _settings()
    reader.use_data_dir(settings.data_dir)
    path = reader.model_path(settings.data_dir)
    loaded = reader.default_model()
    if loaded is None:
        click.echo(json.dumps({"model": None, "reader": "rules only"}, ensure_ascii=False))
        return
    status = {
        "model": str(path),
        "kind": "shipped" if path == reader.SHIPPED else "deployment",
        "trained_at": loaded.trained_at,
        "examples": loaded.examples,
        "sources": loaded.sources,
        "features": len(loaded.features),
        "tags": list(loaded.tags),
    }
    click.echo(json.dumps(status, ensure_ascii=False))


# ---------------------------------------------------------------- ledgers in and out


@main.group("import")
def import_group() -> None:
    """Bring an existing ledger in."""


@import_group.command("leads")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="The sheet to read (default: the first).")
@click.option("--owner", type=IDENTITY, help="PLATFORM:ID of the rep for rows with no 负责人")
@click.option("--dry-run", is_flag=True, help="Read and check everything, write nothing.")
@click.option("--strict", is_flag=True, help="Import nothing when any row is bad.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
@click.option("--now", "now_text", help="Import as if it were this ISO instant.")
def import_leads(
    file: Path,
    sheet: str | None,
    owner: str | None,
    dry_run: bool,
    strict: bool,
    report_path: Path | None,
    now_text: str | None,
) -> None:
    """Import leads from an xlsx, xls or csv ledger (duplicates merged, bad rows skipped and reported)."""
    from tqdm import tqdm

    from bot.ledger.files import FileProblem
    from bot.ledger.importing import LedgerError, import_ledger
    from bot.ledger.report import write_report

    settings = _settings()
    with _runtime(settings) as rt, tqdm(unit=" rows", disable=None, file=sys.stderr, leave=False) as bar:
        try:
            report = import_ledger(
                rt,
                file,
                now=_now(now_text, settings),
                sheet=sheet,
                default_owner=owner,
                dry_run=dry_run,
                strict=strict,
                progress=bar.update,
                total=lambda n: setattr(bar, "total", n),
            )
        except (FileProblem, LedgerError) as exc:
            raise click.ClickException(str(exc)) from exc
    if report_path is not None:
        write_report(report, report_path)
    unknown = report.columns.unknown if report.columns else ()
    if unknown:
        click.echo(f"columns not imported: {', '.join(unknown)}")
    if report.skipped and report_path is None:
        click.echo(f"{len(report.skipped)} rows skipped: pass --report OUT.xlsx for the rows and reasons")
    if strict and report.skipped:
        click.echo(f"--strict: {len(report.skipped)} bad rows, nothing imported")
    click.echo(report.summary())
    if strict and report.skipped:
        sys.exit(1)


@main.command("export")
@click.argument("what", type=click.Choice(["leads", "activities"]))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), help="Default: from OUT's extension.")
@click.option("--owner", type=IDENTITY, help="Only this rep's (PLATFORM:ID)")
@click.option("--team", help="Only this team's")
@_user_errors
def export_command(what: str, out: Path, fmt: str | None, owner: str | None, team: str | None) -> None:
    """Export leads or activities as xlsx or csv, with the headers `import leads` reads back."""
    from bot.ledger.exporting import export
    from storage.people import InvalidInput, find_team, find_user

    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise click.UsageError("give --format xlsx|csv, or an OUT ending in .xlsx or .csv")
    if out.suffix.lower() != f".{fmt}":
        out = out.with_name(out.name + f".{fmt}")
    settings = _settings()
    with _runtime(settings) as rt, rt.transaction() as session:
        user = find_user(session, owner) if owner else None
        if owner and user is None:
            raise InvalidInput(f"no user {owner}")
        team_id = find_team(session, team).id if team else None
        export(session, what, out, tz=settings.tz, rules=rt.rules, owner=user, team_id=team_id)
    click.echo(f"exported {what} to {out}")


# ---------------------------------------------------------------- the cockpit


@main.group("console")
def console_group() -> None:
    """The manager's cockpit (看板)."""


@console_group.command("link")
@click.option("--as", "identity", required=True, type=IDENTITY, help="Whose link, e.g. wecom:zhangwei")
@_user_errors
def console_link(identity: str) -> None:
    """Print a one-time link (valid 10 minutes) into the cockpit, built on SALESBOT_PUBLIC_URL."""
    from bot.console import console_secret, new_link
    from storage.people import InvalidInput, find_user

    settings = _settings()
    with _runtime(settings) as rt, rt.transaction() as session:
        user = find_user(session, identity)
        if user is None:
            raise InvalidInput(f"no user {identity}; add them first with `salesbot users add`")
        secret = console_secret(rt, session)
        click.echo(new_link(session, user, secret=secret, public_url=settings.public_url, now=datetime.now(UTC)))
