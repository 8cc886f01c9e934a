"""The base of every resource: its URL, its model and the CRUD operations it has."""

from __future__ import annotations

from typing import Any, ClassVar

from synapscale_sdk._transport import Transport
from synapscale_sdk.operations import register
from synapscale_sdk.pagination import Paginated

# The operationId suffix of each CRUD method (drf-spectacular's naming).
CRUD_METHODS = {
    "list": "list",
    "create": "create",
    "retrieve": "get",
    "update": "update",
    "partial_update": "patch",
    "destroy": "delete",
}


class Resource:
    """A family of operations under one URL; `crud` names the CRUD operations it has.

    A subclass sets `path` (e.g. `/api/v1/workflows/`), `prefix` (the operationId prefix,
    e.g. `workflows`), `crud` and optionally `model` (a `Model` subclass for its objects).
    """

    path: ClassVar[str] = ""
    prefix: ClassVar[str] = ""
    crud: ClassVar[tuple[str, ...]] = ()
    model: ClassVar[Any] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register(cls, {f"{cls.prefix}_{action}": CRUD_METHODS[action] for action in cls.crud})

    def __init__(self, transport: Transport):
        self._t = transport

    def _url(self, *parts: Any) -> str:
        return self.path + "".join(f"{part}/" for part in parts)

    def _one(self, data: Any) -> Any:
        return self.model.from_dict(data) if self.model and isinstance(data, dict) else data

    def _has(self, action: str) -> None:
        if action not in self.crud:
            raise TypeError(f"{type(self).__name__} has no `{CRUD_METHODS[action]}` operation")

    def _paginated(self, url: str, params: dict | None = None, model=None) -> Paginated:
        convert = model.from_dict if model else None
        return Paginated(self._t, url, params, convert)

    def list(self, **filters: Any) -> Paginated:
        """Iterate every object matching the filters (query parameters), lazily."""
        self._has("list")
        return self._paginated(self.path, filters, self.model)

    def create(self, data: dict | None = None, **fields: Any) -> Any:
        """Create an object from `data` and/or keyword fields."""
        self._has("create")
        return self._one(self._t.json("POST", self.path, json={**(data or {}), **fields}))

    def get(self, id: Any) -> Any:
        """Fetch one object."""
        self._has("retrieve")
        return self._one(self._t.json("GET", self._url(id)))

    def update(self, id: Any, data: dict) -> Any:
        """Replace an object (PUT): send every writable field."""
        self._has("update")
        return self._one(self._t.json("PUT", self._url(id), json=data))

    def patch(self, id: Any, data: dict | None = None, **fields: Any) -> Any:
        """Change only the given fields (PATCH)."""
        self._has("partial_update")
        return self._one(self._t.json("PATCH", self._url(id), json={**(data or {}), **fields}))

    def delete(self, id: Any) -> None:
        """Delete an object."""
        self._has("destroy")
        self._t.json("DELETE", self._url(id))

    def _post(self, *parts: Any, json: Any = None, **options: Any) -> Any:
        return self._t.json(
            "POST", self._url(*parts), json=json if json is not None else {}, **options
        )

    def _get(self, *parts: Any, params: dict | None = None) -> Any:
        return self._t.json("GET", self._url(*parts), params=params)
