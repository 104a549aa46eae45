"""``gedsae plan``: the classification plan (plan de classement) as a tree; creating and
renaming its nodes (records officers and administrators, as over the API)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import click

from ged.cli import Env, pass_env
from ged.cli_lifecycle import actor_options, principal_for
from ged.cli_views import resolve_plan_node
from ged.domain.model import PlanNode
from ged.services import filing
from kernel.cli import run


@click.group("plan", invoke_without_command=True)
@click.pass_context
def plan_group(click_ctx: click.Context) -> None:
    """Plan de classement : l'arbre (sans sous-commande), créer ou renommer un nœud."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(plan_show)


@plan_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Format de l'API, pour les scripts")
@actor_options
@pass_env
def plan_show(
    env: Env, as_json: bool = False, as_user: str = "admin", organisation: str | None = None
) -> None:
    """Affiche le plan de classement en arbre : code et intitulé de chaque nœud."""
    actor = principal_for(env, as_user, organisation)
    nodes = run(lambda: filing.list_plan(env.context(), actor))
    if as_json:
        shown = [
            {"id": n.id, "code": n.code, "label": n.label, "parent_id": n.parent_id} for n in nodes
        ]
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    if not nodes:
        click.echo("Plan de classement vide (gedsae plan create CODE INTITULÉ)")
        return
    click.echo("Plan de classement")
    for line in tree_lines(nodes):
        click.echo(line)


def tree_lines(nodes: list[PlanNode]) -> Iterator[str]:
    """Each node under its parent, by code; a node whose parent is missing shows at the root."""
    known = {n.id for n in nodes}
    children: dict[str | None, list[PlanNode]] = {}
    for n in sorted(nodes, key=lambda n: n.code):
        parent = n.parent_id if n.parent_id in known else None
        children.setdefault(parent, []).append(n)
    yield from _branch(children, None, "", set())


def _branch(
    children: dict[str | None, list[PlanNode]], parent: str | None, indent: str, seen: set[str]
) -> Iterator[str]:
    below = [n for n in children.get(parent, []) if n.id not in seen]
    for position, node in enumerate(below):
        last = position == len(below) - 1
        seen.add(node.id)
        yield f"{indent}{'└── ' if last else '├── '}{node.code}  {node.label}"
        yield from _branch(children, node.id, indent + ("    " if last else "│   "), seen)


@plan_group.command("create")
@click.argument("code")
@click.argument("label")
@click.option("--parent", default=None, help="Code du nœud parent")
@actor_options
@pass_env
def plan_create(
    env: Env, code: str, label: str, parent: str | None, as_user: str, organisation: str | None
) -> None:
    """Crée le nœud CODE (intitulé LABEL), sous --parent s'il est donné ; affiche son
    identifiant."""
    actor = principal_for(env, as_user, organisation)

    def create() -> PlanNode:
        parent_id = resolve_plan_node(env, actor, parent) if parent else None
        return filing.create_plan_node(env.context(), actor, code, label, parent_id)

    node = run(create)
    click.echo(f"Nœud {node.code} « {node.label} » créé", err=True)
    click.echo(node.id)


@plan_group.command("rename")
@click.argument("code")
@click.argument("label")
@actor_options
@pass_env
def plan_rename(env: Env, code: str, label: str, as_user: str, organisation: str | None) -> None:
    """Donne au nœud CODE l'intitulé LABEL (son code ne change pas)."""
    actor = principal_for(env, as_user, organisation)

    def rename() -> PlanNode:
        node_id = resolve_plan_node(env, actor, code)
        return filing.update_plan_node(env.context(), actor, node_id, label)

    node = run(rename)
    click.echo(f"Nœud {node.code} renommé « {node.label} »")
