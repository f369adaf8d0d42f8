"""The OpenAPI 3.1 description of the open-data API."""

from __future__ import annotations

from dialog.core.urls import LARGEST_ID
from dialog.proposals.queries import API_SORTS, DIMENSIONS, STATUS_FILTERS

# The licence contributions are republished under: the terms of use grant it, the API's
# document states it, so whoever reuses the open data knows what they may do.
LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPEN_DATA_HEADERS = {
    "Access-Control-Allow-Origin": {
        "description": "Always `*`: open data may be read from any site.",
        "schema": {"type": "string", "const": "*"},
    },
    "Cache-Control": {
        "description": "`public, max-age=5`: answers may be cached for five seconds.",
        "schema": {"type": "string"},
    },
}


def _ok(schema: dict, description: str) -> dict:
    return {**_json(schema, description), "headers": OPEN_DATA_HEADERS}


ERRORS = {
    "400": _json(_ref("Error"), "The request is not valid; `reason` says why."),
    "404": _json(
        _ref("Error"),
        "Not found, or not public: drafts and invite-only dialogues look exactly like "
        "ones that do not exist.",
    ),
    "429": _json(_ref("Error"), "Too many requests."),
}
# The paging limits the views enforce; documented and enforced from this one place.
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Row ids are 32-bit integers in the database; a larger one names no row.
MAX_ID = LARGEST_ID
# Far beyond any real listing, and small enough that the offset fits every database.
MAX_PAGE = 1_000_000
PAGING = [
    {
        "name": "page",
        "in": "query",
        "description": "The page to show, from 1. A page past the end is empty.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "description": "Items per page. Values outside the range are answered with 400.",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PER_PAGE,
            "default": DEFAULT_PER_PAGE,
        },
    },
]
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
PLACE = {
    "type": "object",
    "properties": {
        "name": NULLABLE_STRING,
        "lat": {"type": ["number", "null"]},
        "lon": {"type": ["number", "null"]},
    },
}

SCHEMAS = {
    "PublishedReport": {
        "type": "object",
        "description": "The report a dialogue's planners published as “What we heard”: "
        "figures about groups of at least five people, never a person, frozen as they "
        "were published, with the official answers of that moment. Each proposal's "
        "title is as it is now; the title and the answer are null for a proposal "
        "moderators have since taken out of sight.",
        "required": ["dialogue", "version", "published_at", "report"],
        "properties": {
            "dialogue": {"type": "string"},
            "version": {"type": "integer", "minimum": 1},
            "published_at": {"type": "string", "format": "date-time"},
            "report": {
                "type": "object",
                "required": ["generated_at", "totals", "answers"],
                "properties": {
                    "generated_at": {"type": "string", "format": "date-time"},
                    "totals": {
                        "type": "object",
                        "required": ["participants", "proposals", "comments", "votes"],
                        "properties": {
                            name: {"type": "integer", "minimum": 0}
                            for name in ("participants", "proposals", "comments", "votes")
                        },
                    },
                    "opinion_groups": {"type": "array"},
                    "answers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["proposal", "title", "status", "answer", "answered_at"],
                            "properties": {
                                "proposal": {"type": "string"},
                                "title": {"type": ["string", "null"]},
                                "status": {"type": "string"},
                                "answer": {"type": ["string", "null"]},
                                "answered_at": {"type": "string", "format": "date-time"},
                                "department": NULLABLE_STRING,
                            },
                        },
                    },
                },
            },
        },
    },
    "Page": {
        "type": "object",
        "description": "One page of a listing, with links to its neighbours.",
        "required": ["items", "page", "per_page", "total", "next", "previous"],
        "properties": {
            "items": {"type": "array"},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "next": {"type": ["string", "null"], "format": "uri"},
            "previous": {"type": ["string", "null"], "format": "uri"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "title", "reason"],
                "properties": {
                    "status": {"type": "integer"},
                    "title": {"type": "string"},
                    "reason": {"type": "string"},
                },
            }
        },
    },
    "Phase": {
        "type": "object",
        "required": ["id", "kind", "title", "starts_at", "ends_at", "capabilities"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {
                "enum": ["information", "proposals", "dialogue", "voting", "review", "result"]
            },
            "title": {"type": "string"},
            "description": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": NULLABLE_TIME,
            "capabilities": {
                "type": "array",
                "items": {
                    "enum": [
                        "propose",
                        "comment",
                        "reply",
                        "revise",
                        "vote",
                        "answer",
                        "show_results",
                    ]
                },
            },
        },
    },
    "Dialogue": {
        "type": "object",
        "required": [
            "slug",
            "title",
            "summary",
            "state",
            "place",
            "themes",
            "focus_areas",
            "current_phase",
            "url",
            "html_url",
        ],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "state": {"enum": ["published", "archived"]},
            "place": PLACE,
            "themes": {"type": "array", "items": {"type": "string"}},
            "focus_areas": {"type": "array", "items": {"type": "string"}},
            "current_phase": {"oneOf": [_ref("Phase"), {"type": "null"}]},
            "url": {"type": "string", "format": "uri"},
            "html_url": {"type": "string", "format": "uri"},
        },
    },
    "DialogueDetail": {
        "allOf": [
            _ref("Dialogue"),
            {
                "type": "object",
                "required": [
                    "background",
                    "vote_mode",
                    "vote_counts",
                    "votes_per_participant",
                    "phases",
                ],
                "properties": {
                    "background": {"type": "string", "description": "Markdown"},
                    "vote_mode": {"enum": ["for_against", "support"]},
                    "vote_counts": {
                        "enum": ["live", "after_voting"],
                        "description": "Whether vote counts are shown while voting runs, "
                        "or only once the results are published.",
                    },
                    "votes_per_participant": {"type": ["integer", "null"]},
                    "phases": {"type": "array", "items": _ref("Phase")},
                    "proposals_url": {"type": "string", "format": "uri"},
                },
            },
        ],
    },
    "Proposal": {
        "type": "object",
        "required": ["id", "reference", "title", "body", "state", "counts", "url"],
        "properties": {
            "id": {"type": "integer"},
            "reference": {"type": "string", "example": "STK-0042"},
            "title": {"type": "string"},
            "body": {"type": "string", "description": "Markdown"},
            "state": {"enum": ["published", "withdrawn"]},
            "source": {"enum": ["online", "workshop", "letter", "phone", "email", "import"]},
            "theme": NULLABLE_STRING,
            "focus_area": NULLABLE_STRING,
            "dimensions": {
                "type": "array",
                "items": {"enum": ["economic", "ecological", "social"]},
            },
            "place": PLACE,
            "author": {
                "type": ["string", "null"],
                "description": "The name or pseudonym the person chose to show.",
            },
            "counts": {
                "type": "object",
                "description": "Vote counts are null while the dialogue keeps them hidden "
                "(`vote_counts` is `after_voting` and the results are not published yet).",
                "properties": {
                    **{
                        k: {"type": ["integer", "null"]}
                        for k in ("for", "against", "abstain", "support")
                    },
                    "comments": {"type": "integer"},
                },
            },
            "created_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
            "html_url": {"type": "string", "format": "uri"},
        },
    },
    "Comment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "parent_id": {"type": ["integer", "null"]},
            "depth": {"type": "integer", "minimum": 1, "maximum": 3},
            "stance": {"enum": ["for", "against", "neutral"]},
            "body": NULLABLE_STRING,
            "deleted": {"type": "boolean"},
            "hidden": {
                "type": "boolean",
                "description": "out of sight while moderators look at it: no body, no author",
            },
            "by_municipality": {"type": "boolean"},
            "author": NULLABLE_STRING,
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "Answer": {
        "type": "object",
        "description": "The municipality's published answer. `body` is the text as written, "
        "in a small Markdown subset (bold, italic, lists, links; a line break is kept); "
        "`revised_at` is when the published words last changed, null if never.",
        "required": ["status", "body", "department", "published_at", "revised_at"],
        "properties": {
            "status": {
                "enum": ["under_review", "accepted", "partly_accepted", "rejected", "implemented"]
            },
            "body": {"type": "string"},
            "department": NULLABLE_STRING,
            "published_at": {"type": "string", "format": "date-time"},
            "revised_at": NULLABLE_TIME,
        },
    },
    "ProposalDetail": {
        "allOf": [
            _ref("Proposal"),
            {
                "type": "object",
                "properties": {
                    "answer": {"oneOf": [_ref("Answer"), {"type": "null"}]},
                    "comments": {"type": "array", "items": _ref("Comment")},
                    "dialogue_url": {"type": "string", "format": "uri"},
                },
            },
        ],
    },
}


def _page_of(name: str) -> dict:
    return {
        "allOf": [
            _ref("Page"),
            {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}}},
        ]
    }


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Medborgardialog open data",
            "version": "1",
            "description": "Public dialogues, their phases, proposals with counts, comments "
            "and official answers. Read-only; no personal data beyond the "
            "names people chose to show.",
            "license": LICENCE,
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/dialogues": {
                "get": {
                    "summary": "Public dialogues, newest first",
                    "parameters": PAGING,
                    "responses": {
                        "200": _ok(_page_of("Dialogue"), "A page of dialogues"),
                        **ERRORS,
                    },
                }
            },
            "/dialogues/{slug}": {
                "get": {
                    "summary": "A public dialogue with its phases",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": _ok(_ref("DialogueDetail"), "The dialogue"), **ERRORS},
                }
            },
            "/dialogues/{slug}/report": {
                "get": {
                    "summary": "The report a public dialogue's planners published",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _ok(_ref("PublishedReport"), "The published report"),
                        **ERRORS,
                    },
                }
            },
            "/dialogues/{slug}/proposals": {
                "get": {
                    "summary": "Proposals in a public dialogue",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        *PAGING,
                        {
                            "name": "sort",
                            "in": "query",
                            "description": "Sorts by votes (support, agreement, divided) are "
                            "answered with 400 while the dialogue keeps its counts hidden.",
                            "schema": {"enum": list(API_SORTS)},
                        },
                        {"name": "theme", "in": "query", "schema": {"type": "string"}},
                        {"name": "focus_area", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "status",
                            "in": "query",
                            "description": "Other values are answered with 400.",
                            "schema": {"enum": sorted(STATUS_FILTERS)},
                        },
                        {"name": "place", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "dimension",
                            "in": "query",
                            "description": "Other values are answered with 400.",
                            "schema": {"enum": sorted(DIMENSIONS)},
                        },
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": (
                                "Swedish full-text search; every word must match, a word of "
                                "three letters or more also as the start of a longer word "
                                "(torg finds torget). A proposal reference of this dialogue "
                                "(STK-0042, stk 42) finds that proposal."
                            ),
                        },
                    ],
                    "responses": {
                        "200": _ok(_page_of("Proposal"), "A page of proposals"),
                        **ERRORS,
                    },
                }
            },
            "/proposals/{id}": {
                "get": {
                    "summary": "A proposal with its comments and official answer",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "Ids outside the range are answered with 404.",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        }
                    ],
                    "responses": {"200": _ok(_ref("ProposalDetail"), "The proposal"), **ERRORS},
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
