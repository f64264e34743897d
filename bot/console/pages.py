"""The cockpit's pages. Each asks storage for the viewer's scope and the figures inside it (cockpit-data's
functions), and renders a template; a request outside the scope is refused by storage (403)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from flask import abort, get_flashed_messages, render_template, request, url_for
from sqlalchemy.orm import Session

from bot import texts
from bot.console import charts
from bot.console.web import cockpit_path, console, now, runtime, transaction, viewer
from bot.format import money
from config.rules import Rules
from config.workdays import default_calendar
from nlp.keywords import top_terms
from storage.behaviour import behaviour as behaviour_figures
from storage.behaviour import company_activity
from storage.cockpit_home import follow_ups_today, high_risk
from storage.cockpit_home import home as home_figures
from storage.cockpit_reps import leaderboard_history, rep_page
from storage.cockpit_values import Page, lead_lines
from storage.leads import team_members
from storage.lights import LightFilter
from storage.lights import lights as light_figures
from storage.models import User
from storage.people import InvalidInput
from storage.pipeline import pipeline as pipeline_figures
from storage.refusals import Refusal, Why
from storage.roles import is_admin, is_manager
from storage.scopes import Scope, lead_in_scope, scope_of, team_in_scope, visible_people, visible_teams
from storage.topics import corpus
from storage.topics import notes as note_lines
from storage.topics import topics as topic_figures

LISTS = {"today": follow_ups_today, "risk": high_risk}
HEAT_ROWS = 40  # reps per page of the heat map


@dataclass(frozen=True)
class View:
    """What every page's figures are computed for: who looks, what they may see, when, and the rules."""

    db: Session
    viewer: User
    scope: Scope
    now: datetime
    tz: tzinfo
    rules: Rules

    @property
    def args(self) -> tuple[Any, ...]:
        return (self.db, self.scope, self.now, self.tz, self.rules)


def _view(db: Session) -> View:
    user = viewer(db)
    rt = runtime()
    return View(db, user, scope_of(db, user), now(), rt.settings.tz, rt.rules)


def viewed(page: Callable[..., Any]) -> Callable[..., Any]:
    """A page's view function, called with the request's View (in one transaction) before its own arguments."""

    @functools.wraps(page)
    def run(*args: Any, **kwargs: Any) -> Any:
        with transaction() as db:
            return page(_view(db), *args, **kwargs)

    return run


def _render(template: str, view: View, nav: str, **context: Any):
    flashed = get_flashed_messages()
    return render_template(
        f"console/{template}",
        viewer=view.viewer,
        nav=nav,
        tz=view.tz,
        now=view.now,
        rules=view.rules,
        money=money,
        texts=texts,
        flash_message=flashed[-1] if flashed else None,
        **context,
    )


def _page() -> int:
    value = request.args.get("page", "1")
    if not value.isdigit() or not 1 <= int(value) <= 10_000:
        abort(400)
    return int(value)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return None
    if not value.isdigit():
        abort(400)
    return int(value)


@console.errorhandler(Refusal)
def _refused(refusal: Refusal):
    code = 404 if refusal.why is Why.LEAD_GONE else 403
    return render_template("console/error.html", message=texts.CONSOLE_ERRORS[code], code=code), code


@console.get("/")
@viewed
def home(view: View):
    return _render("home.html", view, "home", home=home_figures(*view.args))


@console.get("/list/<which>")
@viewed
def lead_list(view: View, which: str):
    figures = LISTS.get(which)
    if figures is None:
        abort(404)
    return _render("list.html", view, "home", which=which, page=figures(*view.args, page=_page()))


@console.get("/pipeline")
@viewed
def pipeline(view: View):
    figures = pipeline_figures(*view.args)
    chart = charts.bars(
        [
            charts.Bar(
                f"{s.label} {s.probability}%",
                s.weighted,
                money(s.weighted),
                url_for("console.lights", stage=s.stage),
            )
            for s in figures.stages
            if not s.closed
        ],
        title="按阶段加权预测",
    )
    return _render("pipeline.html", view, "pipeline", pipeline=figures, chart=chart)


@console.get("/lights")
@viewed
def lights(view: View):
    chosen = LightFilter(
        rep_id=_int_arg("rep"),
        stage=request.args.get("stage") or None,
        tag=request.args.get("tag") or None,
        light=request.args.get("light") or None,
    )
    try:
        figures = light_figures(*view.args, chosen=chosen, page=_page())
    except InvalidInput:
        abort(400)
    reps = visible_people(view.db, view.scope)
    return _render("lights.html", view, "lights", lights=figures, chosen=chosen, reps=reps)


@console.get("/behaviour")
@viewed
def behaviour(view: View):
    # An admin's map is one team at a time (a thousand reps' cells take seconds); the company summary above it
    # answers who has gone quiet anywhere.
    teams = visible_teams(view.db, view.scope)
    team_id = _int_arg("team")
    company = is_admin(view.viewer)
    if team_id is None and company and teams:
        team_id = teams[0].id
    figures = behaviour_figures(*view.args, team_id=team_id)
    kind = request.args.get("type") or None
    if kind is not None and kind not in figures.types:
        abort(400)
    number = _page()
    shown = figures.rows[(number - 1) * HEAT_ROWS : number * HEAT_ROWS]  # a company's hundreds of reps: by pages
    rows = [(r.rep_name, r.by_type.get(kind, ()) if kind else r.per_day) for r in shown]
    columns = [f"{d.month}/{d.day}" if d.weekday() == 0 else "" for d in figures.days]
    flagged = frozenset(r.rep_name for r in shown if r.quiet_two_weeks)
    chart = charts.heatmap(rows, columns, title="销售行为热力图", flagged=flagged)
    page = Page(shown, len(figures.rows), number, HEAT_ROWS)
    quiet = [r for r in figures.rows if r.quiet_two_weeks]
    ids = {r.rep_id for r in shown}
    touch = [t for t in figures.first_touch if t.rep_id in ids]
    return _render(
        "behaviour.html",
        view,
        "behaviour",
        heat=figures,
        chart=chart,
        kind=kind,
        page=page,
        quiet=quiet,
        touch=touch,
        teams=teams,
        team_id=team_id,
        company=company_activity(*view.args) if company else None,
    )


@console.get("/topics")
@viewed
def topics(view: View):
    figures = topic_figures(*view.args)
    lines = {t.tag: charts.sparkline(t.per_week, title=t.label) for t in figures.tags}
    texts_of = corpus(*view.args)
    terms = top_terms(texts_of.texts, names=texts_of.names)
    return _render("topics.html", view, "topics", topics=figures, lines=lines, terms=terms)


@console.get("/notes")
@viewed
def notes(view: View):
    tag, term = request.args.get("tag") or None, request.args.get("term") or None
    if term is not None and len(term) > 50:
        abort(400)
    try:
        page = note_lines(*view.args, tag=tag, term=term, page=_page())
    except InvalidInput:
        abort(400)
    return _render("notes.html", view, "topics", page=page, tag=tag, term=term)


@console.get("/board")
@viewed
def board(view: View):
    teams = visible_teams(view.db, view.scope)
    team_id = _int_arg("team")
    if team_id is None:
        if not teams:
            return _render("board.html", view, "board", teams=teams, team=None, weeks=())
        team_id = teams[0].id
    team = team_in_scope(view.db, view.scope, team_id)
    weeks = leaderboard_history(*view.args, default_calendar(), team_id=team.id)
    return _render("board.html", view, "board", teams=teams, team=team, weeks=weeks)


@console.get("/reps/<int:rep_id>")
@viewed
def rep(view: View, rep_id: int):
    figures = rep_page(*view.args, default_calendar(), rep_id=rep_id)
    return _render("rep.html", view, "rep", rep=figures)


@console.get("/reassign/<int:lead_id>")
@viewed
def reassign(view: View, lead_id: int):
    """Whom a lead may go to: the reps the alert card's 改派 offers (an admin: the owner's team first)."""
    if not is_manager(view.viewer):
        abort(403)
    lead = lead_in_scope(view.db, view.scope, lead_id)
    (line,) = lead_lines(view.db, [lead], view.now, view.rules)
    choices = [m for m in team_members(view.db, view.viewer) if m.id != lead.owner_id]
    if is_admin(view.viewer) and lead.owner.team_id is not None:
        choices = [m for m in choices if m.team_id == lead.owner.team_id]
    back = cockpit_path(request.args.get("back", ""))
    return _render("reassign.html", view, "lights", lead=line, choices=choices, back=back)
