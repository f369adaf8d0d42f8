"""Who gets what from every route: the one declared table, checked by test_routes.py.

Every rule in `app.url_map` needs a row here for each method it accepts (GET, POST) and,
where a part of it takes one of a few words (`<any(follow, unfollow):action>`), for each
word; a route without one fails the test with a message saying what to add. Each row
names a concrete path (placeholders in braces are filled from the seeded world, see
world.py) and what each person gets, in the order of the columns:

    anon    a visitor who is not logged in
    unver   a resident who has not confirmed the email address
    resid   a confirmed resident, not the author of anything
    author  the confirmed resident who wrote the proposals and the comment
    plan    a planner of this dialogue
    other   a planner of another dialogue
    demot   a former planner of this dialogue whose role was lowered to resident: treated
            exactly like a resident
    admin   an administrator

The answers:

    OK      200
    DONE    a redirect somewhere other than the login page, and the request stored what
            it is for (some stored row differs from the seeded world's afterwards)
    BACK    a redirect somewhere other than the login page that stored nothing: sent
            back, the action refused or with nothing to do (following twice, say)
    LOGIN   a redirect to the login page
    BAD     400 (for a POST: the form was refused, nothing stored)
    NO      403
    NF      404

In the seeded world (world.py) the planner has two-step login on, the anonymous visitor
is half-way through logging in as "target" (password given, code not yet), the author
follows dialogue "alfa" and its first proposal, and everyone who may vote has voted for
`voted_proposal`: so the rows of two-step login, following and voting can answer DONE.

A method a path does not accept answers 405 for everyone; that follows from the URL map
and is checked without a row. The objects in the paths belong to dialogue "alfa"; the
same rows are checked again with the objects of another dialogue (the planner of "alfa"
must then get what "other" gets here) and of a draft dialogue (everyone who is not its
staff gets 404).

POSTs carry a valid CSRF token and the data in POST_DATA, so an allowed POST really does
what it says; a refused request (NO, NF, BAD, LOGIN, BACK) must leave every stored row as
it was.
"""

from __future__ import annotations

from dataclasses import dataclass

OK, DONE, BACK, LOGIN, BAD, NO, NF = 200, "done", "back", "login", 400, 403, 404
COLUMNS = (
    "anonymous",
    "unverified",
    "resident",
    "author",
    "planner",
    "other_planner",
    "demoted",
    "admin",
)


# POSTs that take no CSRF token, and what protects them instead.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: the mail client posts without a session or token;
    # the signed token in the link says whose email it is.
    "notifications.unsubscribe": "unsubscribe_token",
}


@dataclass(frozen=True)
class Row:
    method: str
    endpoint: str
    path: str
    expected: tuple

    def for_role(self, role: str):
        return self.expected[COLUMNS.index(role)]


def _rows(*table) -> list[Row]:
    rows = []
    for method, endpoint, path, *expected in table:
        assert len(expected) == len(COLUMNS), f"{method} {path}: one answer per column"
        rows.append(Row(method, endpoint, path, tuple(expected)))
    return rows


# fmt: off
ROUTES = _rows(
    # method  endpoint                          path                                                   anon   unver  resid  author plan   other  demot  admin
    # Public pages and files
    ("GET",  "dialogues.index",                 "/",                                                   OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "core.robots",                     "/robots.txt",                                         OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "core.healthz",                    "/healthz",                                            OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "core.readyz",                     "/readyz",                                             OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "static",                          "/static/css/main.css",                                OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "core.leaflet",                    "/vendor/leaflet/leaflet.js",                          OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # The municipality's stylesheet and favicon (issue 14); no logo is configured here.
    ("GET",  "core.brand_stylesheet",           "/brand/0/brand.css",                                  OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "core.brand_file",                 "/brand/0/favicon",                                    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "core.brand_file",                 "/brand/0/logo",                                       NF,    NF,    NF,    NF,    NF,    NF,    NF,    NF),
    # Accounts
    ("GET",  "accounts.register",               "/register",                                           OK,    BACK,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK),
    ("POST", "accounts.register",               "/register",                                           DONE,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK),
    ("GET",  "accounts.check_email",            "/register/check-email",                               OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "accounts.verify_email",           "/verify/{verify_token}",                              DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "accounts.login",                  "/login",                                              OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.login",                  "/login",                                              DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("POST", "accounts.logout",                 "/logout",                                             LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "accounts.forgot_password",        "/password/forgot",                                    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.forgot_password",        "/password/forgot",                                    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "accounts.reset_password",         "/password/reset/{reset_token}",                       OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.reset_password",         "/password/reset/{reset_token}",                       DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "accounts.profile",                "/profile",                                            LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.profile",                "/profile",                                            LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "accounts.change_email",           "/profile/email",                                      LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.change_email",           "/profile/email",                                      LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "accounts.change_password",        "/profile/password",                                   LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.change_password",        "/profile/password",                                   LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("POST", "accounts.resend_verification",    "/profile/resend-verification",                        LOGIN, DONE,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK),
    ("GET",  "accounts.admin_users",            "/admin/users",                                        LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "accounts.admin_role",             "/admin/users/{user}/role",                            LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "accounts.admin_set_role",         "/admin/users/{user}/role",                            LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    # Two-step login and sessions. Only the anonymous visitor has a code step under way
    # (target's): the code logs target in; everyone else is sent back to the password.
    # "session" is someone else's session, so nobody else reaches it.
    ("GET",  "accounts.login_code",             "/login/code",                                         OK,    BACK,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK),
    ("POST", "accounts.login_code",             "/login/code",                                         DONE,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK),
    ("GET",  "accounts.sessions_page",          "/profile/sessions",                                   LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.end_session",            "/profile/sessions/{session}/end",                     LOGIN, NF,    NF,    NF,    NF,    NF,    NF,    NF),
    ("POST", "accounts.end_other_sessions",     "/profile/sessions/end-others",                        LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("POST", "accounts.end_all_sessions",       "/profile/sessions/end-all",                           LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "accounts.two_factor",             "/profile/two-factor",                                 LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # Staff only; a wrong code shows the form again (the code changes every 30 seconds).
    # The planner has it on already: sent back to its page.
    ("GET",  "accounts.two_factor_setup",       "/profile/two-factor/setup",                           LOGIN, NO,    NO,    NO,    BACK,  OK,    NO,    OK),
    ("POST", "accounts.two_factor_setup",       "/profile/two-factor/setup",                           LOGIN, NO,    NO,    NO,    BACK,  OK,    NO,    OK),
    # Turning it off (password and code) and new recovery codes (shown once, so a page):
    # only the planner has it on; everyone else is sent back to its page.
    ("POST", "accounts.two_factor_disable",     "/profile/two-factor/disable",                         LOGIN, BACK,  BACK,  BACK,  DONE,  BACK,  BACK,  BACK),
    ("POST", "accounts.two_factor_new_recovery_codes", "/profile/two-factor/recovery-codes",                  LOGIN, BACK,  BACK,  BACK,  OK,    BACK,  BACK,  BACK),
    ("POST", "accounts.admin_reset_two_factor", "/admin/users/{user}/two-factor/reset",                LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    # My data. The copy is the resident's; the only administrator may not delete the
    # account (someone must run the site).
    ("GET",  "accounts.my_data",                "/profile/my-data",                                    LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.request_export",         "/profile/my-data/export",                             LOGIN, BACK,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "accounts.download_export",        "/profile/my-data/download/{export_token}",            LOGIN, NO,    OK,    NO,    NO,    NO,    NO,    NO),
    ("GET",  "accounts.delete_account",         "/profile/delete",                                     LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    NO),
    ("POST", "accounts.delete_account",         "/profile/delete",                                     LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  NO),
    ("GET",  "accounts.account_deleted",        "/profile/deleted",                                    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # My page: one's own proposals, comments, votes and follows, and each section's full
    # list. Only the author follows anything in "alfa": unfollowing from the page is
    # theirs to do, anyone else is sent back with nothing changed.
    ("GET",  "accounts.my_page",                "/me",                                                 LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "accounts.my_page_section",        "/me/proposals",                                       LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "accounts.my_page_section",        "/me/comments",                                        LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "accounts.my_page_section",        "/me/votes",                                           LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "accounts.my_page_following",      "/me/following/dialogues",                             LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "accounts.my_page_following",      "/me/following/proposals",                             LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "accounts.unfollow_dialogue",      "/me/following/dialogues/{slug}/unfollow",             LOGIN, BACK,  BACK,  DONE,  BACK,  BACK,  BACK,  BACK),
    ("POST", "accounts.unfollow_proposal",      "/me/following/proposals/{proposal}/unfollow",         LOGIN, BACK,  BACK,  DONE,  BACK,  BACK,  BACK,  BACK),
    # The audit log: administrators only
    ("GET",  "audit.index",                     "/admin/audit/",                                       LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "audit.export",                    "/admin/audit/export",                                 LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    # A dialogue
    ("GET",  "dialogues.show",                  "/d/{slug}",                                           OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "dialogues.follow",                "/d/{slug}/follow",                                    LOGIN, DONE,  DONE,  BACK,  DONE,  DONE,  DONE,  DONE),
    ("POST", "dialogues.follow",                "/d/{slug}/unfollow",                                  LOGIN, BACK,  BACK,  DONE,  BACK,  BACK,  BACK,  BACK),
    ("GET",  "dialogues.accept_invitation",     "/i/{invitation_token}",                               OK,    BACK,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK),
    ("GET",  "dialogues.invitations",           "/d/{slug}/invitations",                               LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("POST", "dialogues.invitations",           "/d/{slug}/invitations",                               LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "dialogues.revoke_invitation",     "/d/{slug}/invitations/{invitation}/revoke",           LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    # Asking through a link sent to another address needs a confirmed address of one's own
    ("POST", "dialogues.request_access",        "/i/{invitation_token}/request",                       LOGIN, NO,    DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("POST", "dialogues.decide_access_request", "/d/{slug}/access-requests/{access_request}/approve",  LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "dialogues.decide_access_request", "/d/{slug}/access-requests/{access_request}/refuse",   LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    # Proposals
    ("GET",  "proposals.index",                 "/d/{slug}/proposals",                                 OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "proposals.map_view",              "/d/{slug}/proposals/map",                             OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "proposals.create",                "/d/{slug}/proposals/new",                             LOGIN, NO,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "proposals.create",                "/d/{slug}/proposals/new",                             LOGIN, NO,    DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "proposals.enter",                 "/d/{slug}/proposals/enter",                           LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("POST", "proposals.enter",                 "/d/{slug}/proposals/enter",                           LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("GET",  "proposals.show",                  "/p/{proposal}",                                       OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "proposals.image",                 "/p/{proposal}/image",                                 OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "proposals.vote",                  "/p/{voted_proposal}/vote",                            LOGIN, NO,    DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("POST", "proposals.unvote",                "/p/{voted_proposal}/unvote",                          LOGIN, NO,    DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("POST", "proposals.follow",                "/p/{proposal}/follow",                                LOGIN, DONE,  DONE,  BACK,  DONE,  DONE,  DONE,  DONE),
    ("POST", "proposals.follow",                "/p/{proposal}/unfollow",                              LOGIN, BACK,  BACK,  DONE,  BACK,  BACK,  BACK,  BACK),
    ("GET",  "proposals.edit",                  "/p/{fresh_proposal}/edit",                            LOGIN, NO,    NO,    OK,    NO,    NO,    NO,    NO),
    ("POST", "proposals.edit",                  "/p/{fresh_proposal}/edit",                            LOGIN, NO,    NO,    DONE,  NO,    NO,    NO,    NO),
    ("GET",  "proposals.withdraw",              "/p/{proposal}/withdraw",                              LOGIN, NO,    NO,    OK,    NO,    NO,    NO,    NO),
    ("POST", "proposals.withdraw",              "/p/{proposal}/withdraw",                              LOGIN, NO,    NO,    DONE,  NO,    NO,    NO,    NO),
    ("GET",  "proposals.answer",                "/p/{proposal}/answer",                                LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("POST", "proposals.answer",                "/p/{proposal}/answer",                                LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    # Comments
    ("POST", "proposals.comment",               "/p/{proposal}/comments",                              LOGIN, NO,    DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "proposals.thread",                "/c/{comment}",                                        OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "proposals.reply",                 "/c/{comment}/reply",                                  LOGIN, NO,    DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    # The next replies of a thread, as HTML for the script: whoever sees the thread page
    ("GET",  "proposals.replies",               "/c/{comment}/replies",                                OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # Moderation: anyone confirmed but the author reports, once
    ("GET",  "moderation.flag_proposal",        "/p/{proposal}/flag",                                  LOGIN, NO,    OK,    NO,    OK,    OK,    OK,    OK),
    ("POST", "moderation.flag_proposal",        "/p/{proposal}/flag",                                  LOGIN, NO,    DONE,  NO,    DONE,  DONE,  DONE,  DONE),
    ("GET",  "moderation.flag_comment",         "/c/{comment}/flag",                                   LOGIN, NO,    OK,    NO,    OK,    OK,    OK,    OK),
    ("POST", "moderation.flag_comment",         "/c/{comment}/flag",                                   LOGIN, NO,    DONE,  NO,    DONE,  DONE,  DONE,  DONE),
    # The moderators' queue and their actions: the dialogue's planners and admins. An
    # item is named by its queue key. The author's hidden comment was hidden by the admin,
    # so another moderator (the planner) reviews it, never the admin who decided.
    ("GET",  "reports.index",                   "/d/{slug}/reports",                                   LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("POST", "reports.request_report",          "/d/{slug}/reports",                                   LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("GET",  "reports.show",                    "/d/{slug}/reports/{report}",                          LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("GET",  "reports.progress",                "/d/{slug}/reports/{report}/progress",                 LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("POST", "reports.retry",                   "/d/{slug}/reports/{report}/retry",                    LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "reports.publish",                 "/d/{slug}/reports/{done_report}/publish",             LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("GET",  "reports.download",                "/d/{slug}/reports/{done_report}.xlsx",                LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("GET",  "reports.download",                "/d/{slug}/reports/{done_report}.csv",                 LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("GET",  "reports.download",                "/d/{slug}/reports/{done_report}.json",                LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("GET",  "reports.overview",                "/d/{slug}/overview",                                  LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    # The published report ("Det här har vi hört"): whoever may see the dialogue.
    ("GET",  "reports.heard",                   "/d/{slug}/what-we-heard",                             OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "reports.download_heard",          "/d/{slug}/what-we-heard.xlsx",                        OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "reports.download_heard",          "/d/{slug}/what-we-heard.csv",                         OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "reports.download_heard",          "/d/{slug}/what-we-heard.json",                        OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "reports.withdraw",                "/d/{slug}/what-we-heard/withdraw",                    LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("GET",  "moderation.queue",                "/moderation/",                                        LOGIN, NO,    NO,    NO,    OK,    OK,    NO,    OK),
    ("POST", "moderation.bulk",                 "/moderation/bulk",                                    LOGIN, NO,    NO,    NO,    DONE,  BACK,  NO,    DONE),
    ("GET",  "moderation.item",                 "/moderation/items/p{proposal}",                       LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("POST", "moderation.act",                  "/moderation/items/c{held_comment}/approve",           LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "moderation.act",                  "/moderation/items/c{held_comment}/dismiss",           LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "moderation.act",                  "/moderation/items/p{proposal}/hide",                  LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "moderation.act",                  "/moderation/items/c{hidden_comment}/restore",         LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "moderation.act",                  "/moderation/items/p{proposal}/redact",                LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "moderation.act",                  "/moderation/items/p{proposal}/block",                 LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    DONE),
    ("POST", "moderation.decide_review",        "/moderation/items/c{hidden_comment}/review",          LOGIN, NO,    NO,    NO,    DONE,  NO,    NO,    NO),
    # The author's side: their contributions (the old address, now My page's), and a
    # review of a decision about them.
    ("GET",  "moderation.contributions",        "/me/contributions",                                   LOGIN, BACK,  BACK,  BACK,  BACK,  BACK,  BACK,  BACK),
    ("GET",  "moderation.request_review",       "/moderation/decisions/{decision}/review",             LOGIN, NF,    NF,    OK,    NF,    NF,    NF,    NF),
    ("POST", "moderation.request_review",       "/moderation/decisions/{decision}/review",             LOGIN, NF,    NF,    DONE,  NF,    NF,    NF,    NF),
    ("GET",  "moderation.screened_words",       "/admin/moderation/words",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "moderation.screened_words",       "/admin/moderation/words",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "moderation.remove_screened_word", "/admin/moderation/words/{word}/remove",               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    # Notifications: one's own, and the unsubscribe link of an email (no login, no CSRF).
    ("GET",  "notifications.index",             "/notifications",                                      LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "notifications.mark_read",         "/notifications/{notification}/read",                  LOGIN, NF,    NF,    DONE,  NF,    NF,    NF,    NF),
    ("POST", "notifications.mark_all_read",     "/notifications/read",                                 LOGIN, BACK,  BACK,  DONE,  BACK,  BACK,  BACK,  BACK),
    ("GET",  "notifications.settings",          "/notifications/settings",                             LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "notifications.settings",          "/notifications/settings",                             LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "notifications.unsubscribe",       "/unsubscribe/{unsubscribe_token}",                    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "notifications.unsubscribe",       "/unsubscribe/{unsubscribe_token}",                    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "notifications.undelivered",       "/admin/mail",                                         LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "notifications.retry_mail",        "/admin/mail/{dead_mail}/retry",                       LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "notifications.retry_delivery",    "/admin/outbox/{given_up}/retry",                      LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "proposals.edit_comment",          "/c/{comment}/edit",                                   LOGIN, NO,    NO,    OK,    NO,    NO,    NO,    NO),
    ("POST", "proposals.edit_comment",          "/c/{comment}/edit",                                   LOGIN, NO,    NO,    DONE,  NO,    NO,    NO,    NO),
    # Deleting asks first: the confirmation page, and its button (POST_DATA confirms)
    ("GET",  "proposals.delete_comment",        "/c/{comment}/delete",                                 LOGIN, NO,    NO,    OK,    NO,    NO,    NO,    NO),
    ("POST", "proposals.delete_comment",        "/c/{comment}/delete",                                 LOGIN, NO,    NO,    DONE,  NO,    NO,    NO,    NO),
    # Administration of dialogues, schedules and planners
    ("GET",  "dialogues.admin_index",           "/admin/dialogues",                                    LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "dialogues.admin_create",          "/admin/dialogues/new",                                LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_create",          "/admin/dialogues/new",                                LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "dialogues.admin_edit",            "/admin/dialogues/{dialogue_id}/edit",                 LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_edit",            "/admin/dialogues/{dialogue_id}/edit",                 LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "dialogues.admin_set_state",       "/admin/dialogues/{dialogue_id}/state/archived",       LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "dialogues.admin_phases",          "/admin/dialogues/{dialogue_id}/phases",               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_phases",          "/admin/dialogues/{dialogue_id}/phases",               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "dialogues.admin_edit_phase",      "/admin/phases/{future_phase}/edit",                   LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_edit_phase",      "/admin/phases/{future_phase}/edit",                   LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "dialogues.admin_remove_phase",    "/admin/phases/{future_phase}/remove",                 LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "dialogues.admin_phase_now",       "/admin/phases/{phase}/close-now",                     LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_phase_now",       "/admin/phases/{phase}/close-now",                     LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "dialogues.admin_phase_now",       "/admin/phases/{future_phase}/open-now",               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_phase_now",       "/admin/phases/{future_phase}/open-now",               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "dialogues.admin_planners",        "/admin/dialogues/{dialogue_id}/planners",             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_planners",        "/admin/dialogues/{dialogue_id}/planners",             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "dialogues.admin_remove_planner",  "/admin/dialogues/{dialogue_id}/planners/{planner_id}/remove", LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    # Background images and documents (issue 14): administrators add and remove them; the
    # upload answers BAD, as a form carries no file.
    ("GET",  "dialogues.admin_attachments",     "/admin/dialogues/{dialogue_id}/attachments",          LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_attachments",     "/admin/dialogues/{dialogue_id}/attachments",          LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    BAD),
    ("GET",  "dialogues.admin_remove_attachment", "/admin/dialogues/{dialogue_id}/attachments/{attachment}/remove", LOGIN, NO, NO, NO,  NO,    NO,    NO,    OK),
    ("POST", "dialogues.admin_remove_attachment", "/admin/dialogues/{dialogue_id}/attachments/{attachment}/remove", LOGIN, NO, NO, NO,  NO,    NO,    NO,    DONE),
    ("GET",  "dialogues.attachment",            "/d/{slug}/files/{attachment}",                        OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # The records of a dialogue for a disclosure request: its staff only
    ("POST", "accounts.dialogue_records",       "/admin/dialogues/{dialogue_id}/records.json",         LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    ("POST", "accounts.dialogue_records",       "/admin/dialogues/{dialogue_id}/records.csv",          LOGIN, NO,    NO,    NO,    OK,    NO,    NO,    OK),
    # The open-data API: everyone is answered as a visitor without an account
    ("GET",  "api.dialogue_list",               "/api/v1/dialogues",                                   OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "api.dialogue_detail",             "/api/v1/dialogues/{slug}",                            OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "api.proposal_list",               "/api/v1/dialogues/{slug}/proposals",                  OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "api.published_report",            "/api/v1/dialogues/{slug}/report",                     OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "api.proposal_detail",             "/api/v1/proposals/{proposal}",                        OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "api.openapi_document",            "/api/v1/openapi.json",                                OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # pages (wt-legal): the terms, the privacy notice, the accessibility statement and its
    # barrier report form (anyone may send it), and their administration
    ("GET",  "pages.terms",                     "/terms",                                              OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "pages.privacy",                   "/privacy",                                            OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "pages.accessibility",             "/accessibility",                                      OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "pages.conduct",                   "/code-of-conduct",                                    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "pages.send_feedback",             "/accessibility",                                      DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  DONE),
    ("GET",  "pages.admin_index",               "/admin/pages",                                        LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "pages.admin_edit",                "/admin/pages/terms/sv",                               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "pages.admin_edit",                "/admin/pages/terms/en",                               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "pages.admin_edit",                "/admin/pages/privacy/sv",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "pages.admin_edit",                "/admin/pages/privacy/en",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "pages.admin_edit",                "/admin/pages/accessibility/sv",                       LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "pages.admin_edit",                "/admin/pages/accessibility/en",                       LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "pages.admin_edit",                "/admin/pages/conduct/sv",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("GET",  "pages.admin_edit",                "/admin/pages/conduct/en",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "pages.admin_save",                "/admin/pages/terms/sv",                               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "pages.admin_save",                "/admin/pages/terms/en",                               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "pages.admin_save",                "/admin/pages/privacy/sv",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "pages.admin_save",                "/admin/pages/privacy/en",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "pages.admin_save",                "/admin/pages/accessibility/sv",                       LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "pages.admin_save",                "/admin/pages/accessibility/en",                       LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "pages.admin_save",                "/admin/pages/conduct/sv",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "pages.admin_save",                "/admin/pages/conduct/en",                             LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "pages.admin_feedback",            "/admin/pages/feedback",                               LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    # Districts and the population table: administrators only. The world has no district
    # of its own, so one district's pages are asked for a code no district has.
    ("GET",  "districts.index",                 "/admin/districts",                                    LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "districts.add",                   "/admin/districts",                                    LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    # The districts are those the migration lists; nobody in the world lives in Glasberga.
    ("GET",  "districts.edit",                  "/admin/districts/glasberga",                          LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "districts.rename",                "/admin/districts/glasberga",                          LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "districts.move",                  "/admin/districts/glasberga/up",                       LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "districts.move",                  "/admin/districts/glasberga/down",                     LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("POST", "districts.remove",                "/admin/districts/glasberga/remove",                   LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    DONE),
    ("GET",  "districts.population_table",      "/admin/population",                                   LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    OK),
    ("POST", "districts.upload_population",     "/admin/population",                                   LOGIN, NO,    NO,    NO,    NO,    NO,    NO,    BAD),
)
# fmt: on

# What each POST sends besides its CSRF token: valid input, so that an allowed request is
# carried out. Placeholders in braces are filled from the world, as in the paths.
POST_DATA = {
    "accounts.register": {
        "email": "ny-person@example.org",
        "display_name": "Ny Person",
        "password": "ett långt lösenord för test",
        "confirm": "ett långt lösenord för test",
        "accept_terms": "y",
    },
    "accounts.login": {"email": "author@example.org", "password": "{password}"},
    "accounts.forgot_password": {"email": "target@example.org"},
    "accounts.reset_password": {
        "password": "ett nytt långt lösenord",
        "confirm": "ett nytt långt lösenord",
    },
    "accounts.profile": {
        "display_name": "Nytt Namn",
        "show_name_publicly": "no",
        "pseudonym": "Ny pseudonym",
        "district": "",
        "age_band": "",
        "locale": "sv",
    },
    "accounts.change_email": {"email": "nytt-namn@example.org", "current_password": "{password}"},
    "accounts.change_password": {
        "current_password": "{password}",
        "password": "ett nytt långt lösenord",
        "confirm": "ett nytt långt lösenord",
    },
    "accounts.admin_set_role": {"role": "planner", "reason": "Ny tjänst"},
    "accounts.login_code": {"code": "{target_code}"},
    "accounts.two_factor_setup": {"code": "000000"},
    "accounts.two_factor_disable": {
        "off-current_password": "{password}",
        "off-code": "{planner_code}",
    },
    "accounts.two_factor_new_recovery_codes": {"codes-current_password": "{password}"},
    "accounts.admin_reset_two_factor": {"reset-reason": "Tappad telefon"},
    "accounts.delete_account": {"current_password": "{password}", "understood": "y"},
    "dialogues.invitations": {"emails": "gast@example.org"},
    "proposals.create": {"title": "Fler träd", "body": "Längs gatan.", "confirmed": "1"},
    "proposals.enter": {
        "source": "letter",
        "received_on": "2026-11-30",
        "title": "Brev om parkering",
        "body": "Från Ingrid.",
    },
    "proposals.vote": {"value": "against"},
    "proposals.edit": {"title": "Ändrad titel", "body": "Ändrad text."},
    "proposals.withdraw": {"reason": "Ångrar mig"},
    "moderation.flag_proposal": {"reason": "spam"},
    "moderation.flag_comment": {"reason": "off_topic", "text": "Hör inte hit"},
    "moderation.bulk": {"items": "p{proposal}", "action": "hide", "reason": "Reklam"},
    "moderation.act": {
        "hide-reason": "Reklam",
        "redact-body": "Utan telefonnummer",
        "redact-reason": "Ett telefonnummer",
        "block-days": "7",
        "block-reason": "Upprepad reklam",
    },
    "moderation.decide_review": {"review-outcome": "reverse", "review-reason": "Ingen reklam"},
    "moderation.request_review": {"reason": "Det var ingen reklam"},
    "moderation.screened_words": {"word": "nyttord"},
    "notifications.settings": {
        "phases": "weekly",
        "comments": "immediately",
        "answers": "daily",
        "my_content": "immediately",
        "moderation": "off",
    },
    "proposals.answer": {"status": "accepted", "body": "Bänkarna kommer i maj.", "publish": "1"},
    "proposals.comment": {"body": "Instämmer", "stance": "for"},
    "proposals.reply": {"body": "Håller med", "stance": "neutral"},
    "proposals.edit_comment": {"body": "Omskrivet", "stance": "against"},
    "proposals.delete_comment": {"confirmed": "yes"},
    "dialogues.admin_create": {
        "slug": "ny-dialog",
        "title": "Ny dialog",
        "summary": "Om torget.",
        "visibility": "public",
        "vote_mode": "for_against",
        "vote_counts": "live",
    },
    "dialogues.admin_edit": {
        "title": "Ändrad dialog",
        "summary": "Ny sammanfattning.",
        "visibility": "public",
        "vote_mode": "for_against",
        "vote_counts": "live",
    },
    "dialogues.admin_phases": {
        "kind": "result",
        "title": "Resultat",
        "starts_at": "{later_start}",
        "ends_at": "{later_end}",
        "save": "1",
    },
    "dialogues.admin_edit_phase": {
        "kind": "voting",
        "title": "Röstning",
        "starts_at": "{future_start}",
        "ends_at": "{future_end}",
        "save": "1",
    },
    # The confirmation of what the page showed: the phase that closes (open now of the
    # future phase closes the current one; close now names itself).
    "dialogues.admin_phase_now": {"reason": "Beslut i nämnden", "confirmed": "{phase}"},
    "dialogues.admin_set_state": {"confirmed": "archived"},
    "dialogues.admin_remove_phase": {"confirmed": "{future_phase}"},
    "dialogues.admin_planners": {"email": "other_planner@example.org"},
}

# pages (wt-legal)
POST_DATA.update(
    {
        "pages.send_feedback": {
            "description": "Knappen går inte att nå med tangentbordet.",
            "page_address": "/d/{slug}",
            "email": "svar@example.org",
        },
        "pages.admin_save": {"body": "## Integritet\n\nKommunens egen text.", "save": "1"},
    }
)

# districts (issue 13): a new district; the upload answers BAD, as a form carries no file.
POST_DATA.update(
    {
        "districts.add": {"code": "ny-stadsdel", "name": "Ny stadsdel"},
        "districts.rename": {"name": "Nytt namn"},
    }
)


def post_data(endpoint: str, ids: dict) -> dict:
    return {name: value.format(**ids) for name, value in POST_DATA.get(endpoint, {}).items()}
