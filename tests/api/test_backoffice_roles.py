"""The role table: every staff route × every role → allowed, or 403 naming who may.

The routes are read from app.url_map, so a page someone adds later is in the table without
anyone writing a row for it; the roles are what the route's view names (`role_required` sets
`staff_roles` on what it wraps; other decorators keep it reachable through `__wrapped__`).
A route that names no roles fails here: every staff route must name them.

Path arguments are filled generically: the id of an object of the kind the argument names
(a merchant, a member, a staff user…), a value its converter accepts, or a dummy; a 404 past
the role check counts as "allowed" (the guard let the request through to the page).

CSRF: the app checks every POST's token before any view runs (the global CSRFProtect), so a
POST without a token is refused 400 by everyone alike. The table therefore posts *with* a valid
token and an empty body: a staff user without the role gets 403 (the role is checked before
the form is read), and nothing is written.
"""

import re

import pytest
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.api.test_merchant_apply import csrf_of, post_form
from tests.api.world import MEMBER_PHONE, OWNER_PHONE, PASSWORD, STAFF_USERNAME, build
from valliance.audit import AuditEvent
from valliance.extensions import db, limiter
from valliance.staff import services as staff_services
from valliance.staff.roles import ADMIN, ROLES

STAFF_BLUEPRINTS = ("staff.", "backoffice.", "settlement_staff.", "referral_report.",
                    "marketing.", "desk.", "desk_report.")
OPEN = {"staff.login", "staff.logout"}


def view_roles(view) -> tuple[str, ...] | None:
    """The roles a view names, looked for through every decorator around it."""
    seen = 0
    while view is not None and seen < 20:
        roles = getattr(view, "staff_roles", None)
        if roles:
            return tuple(roles)
        view, seen = getattr(view, "__wrapped__", None), seen + 1
    return None


def staff_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith(STAFF_BLUEPRINTS) and rule.endpoint not in OPEN),
                  key=lambda rule: (rule.rule, rule.endpoint))


def test_the_table_has_the_routes_it_must_cover(app):
    endpoints = {rule.endpoint for rule in staff_rules(app)}
    assert {"backoffice.dashboard", "backoffice.audit_log", "backoffice.audit_verify",
            "backoffice.staff_accounts", "backoffice.staff_account", "staff.merchants",
            "backoffice.merchant", "backoffice.merchant_review", "backoffice.adjustments",
            "backoffice.approve_adjustment"} <= endpoints


def test_every_staff_route_names_its_roles(app):
    unnamed = [rule.endpoint for rule in staff_rules(app)
               if view_roles(app.view_functions[rule.endpoint]) is None]
    assert unnamed == [], "staff routes without @role_required"
    for rule in staff_rules(app):
        assert set(view_roles(app.view_functions[rule.endpoint])) <= set(ROLES), rule.endpoint


def test_the_roles_are_found_through_other_decorators():
    import functools

    from valliance.staff.roles import role_required

    def plain(view):  # keeps only __wrapped__, not the attributes
        def inner(*args, **kwargs):
            return view(*args, **kwargs)
        inner.__wrapped__ = view
        return inner

    def wrapping(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            return view(*args, **kwargs)
        return inner

    def page():
        return ""

    assert view_roles(page) is None
    assert view_roles(plain(wrapping(role_required("finance")(page)))) == ("finance",)
    assert view_roles(role_required("marketing", "finance")(wrapping(page))) == (
        "marketing", "finance")


# --- the world the table runs in -------------------------------------------------------------


@pytest.fixture
def world(app):
    made = build(app)
    ids = {"merchant_id": made.merchant_id, "offer_id": made.offer_id}
    with app.app_context():
        from valliance.members.models import Member

        ids["member_id"] = db.session.scalar(select(Member.id).where(Member.phone == MEMBER_PHONE))
        for role in ROLES:
            staff = staff_services.create_staff_user(
                db.session, username=f"only-{role.replace('_', '-')}", name=f"只有{role}",
                password=PASSWORD, roles=(role,))
            ids.setdefault("staff_id", staff.id)
        db.session.commit()
        db.session.remove()
    return ids


def _value_for(rule, name: str, ids: dict) -> str:
    converter = rule._converters.get(name)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if isinstance(converter, IntegerConverter):
        return "1"
    if name in ids:
        return ids[name]
    for key, value in ids.items():  # "merchant" → merchant_id, "id" of a staff_… route
        if key.startswith(name.removesuffix("_id")):
            return value
    return "0" if re.search(r"(^|_)(seq|year|month|page|n)$", name) else "no-such-thing"


def url_of(rule, ids: dict) -> str:
    values = {name: _value_for(rule, name, ids) for name in rule.arguments}
    built = rule.build(values, append_unknown=False)
    assert built is not None, (rule.rule, values)
    return built[1]


def signed_in(app, login_url: str, fields: dict):
    client = app.test_client()
    limiter.reset()
    response = post_form(client, login_url, fields)
    assert response.status_code == 302, (login_url, response.status_code)
    return client


def _staff_client(app, role: str):
    username = STAFF_USERNAME if role == ADMIN else f"only-{role.replace('_', '-')}"
    return signed_in(app, "/staff/login", {"username": username, "password": PASSWORD})


def allowed(role: str, roles: tuple[str, ...]) -> bool:
    return role == ADMIN or role in roles


def named_roles(roles: tuple[str, ...]) -> str:
    return " ".join(r for r in ROLES if r in roles or r == ADMIN)


def audit_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
    return count


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_its_pages_and_gets_403_naming_the_roles_elsewhere(app, world, role):
    client = _staff_client(app, role)
    token = csrf_of(client.get("/staff/").get_data(as_text=True))
    before = audit_count(app)
    checked = 0
    for rule in staff_rules(app):
        roles = view_roles(app.view_functions[rule.endpoint])
        url = url_of(rule, world)
        if "GET" in rule.methods:
            response = client.get(url)
            where = f"{role} GET {url} ({rule.endpoint})"
            if allowed(role, roles):
                assert response.status_code != 403 and response.status_code < 500, where
                assert "/staff/login" not in response.headers.get("Location", ""), where
            else:
                assert response.status_code == 403, where
                assert f'data-roles="{named_roles(roles)}"' in response.get_data(as_text=True), \
                    where
            checked += 1
        elif not allowed(role, roles):
            response = client.post(url, data={"csrf_token": token})
            assert response.status_code == 403, f"{role} POST {url} ({rule.endpoint})"
            assert f'data-roles="{named_roles(roles)}"' in response.get_data(as_text=True)
            checked += 1
    assert checked
    assert audit_count(app) == before, "a refused request wrote something"


def test_a_post_without_the_role_is_refused_even_without_a_token(app, world):
    client = _staff_client(app, "marketing")
    for rule in staff_rules(app):
        roles = view_roles(app.view_functions[rule.endpoint])
        if "POST" in rule.methods and not allowed("marketing", roles):
            response = client.post(url_of(rule, world), data={})
            assert response.status_code in (400, 403), rule.endpoint


@pytest.mark.parametrize("kind", ["member", "merchant_user"])
def test_members_and_merchant_users_get_403_on_every_staff_route(app, world, kind):
    if kind == "member":
        client = signed_in(app, "/me/login", {"phone": MEMBER_PHONE, "password": PASSWORD})
        page = "/me/"
    else:
        client = signed_in(app, "/merchant/login", {"phone": OWNER_PHONE, "password": PASSWORD})
        page = "/merchant/"
    html = client.get(page, follow_redirects=True).get_data(as_text=True)
    token = csrf_of(html)
    for rule in staff_rules(app):
        url = url_of(rule, world)
        if "GET" in rule.methods:
            assert client.get(url).status_code == 403, f"{kind} GET {url}"
        else:
            assert client.post(url, data={"csrf_token": token}).status_code == 403, \
                f"{kind} POST {url}"


def test_visitors_are_sent_to_the_staff_login(app, world):
    client = app.test_client()
    for rule in staff_rules(app):
        if "GET" not in rule.methods:
            continue
        url = url_of(rule, world)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/staff/login"), url
