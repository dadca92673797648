"""``View[M]``: a read model whose fields are a checked subset of the domain model ``M``.

A view reads items by ``M``'s stored attribute names (aliases included) without redeclaring
them, and a read with a view asks DynamoDB only for the view's attributes (plus the keys), so
less data crosses the wire. The subset is checked once, when the view class is defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

from ..errors import ModelDefinitionError
from ..model import DomainModel
from ..subset import check_subset, domain_model_of

M = TypeVar("M", bound=DomainModel)
MT = TypeVar("MT", bound=DomainModel)
VT_co = TypeVar("VT_co", covariant=True)


class View(BaseModel, Generic[M]):
    """A read model: declare ``class Summary(View[PipelineConfig])`` with some of its fields.

    Unknown fields or incompatible types raise ``ModelDefinitionError`` at class definition.
    Views are frozen: they are answers to a query, not objects to edit and save.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    if TYPE_CHECKING:
        # For the type checker only: ties a view class to its domain model, so that the reads
        # of ReadApi[M] accept views of M only (see ``ViewOf``).
        @classmethod
        def __ddb_view_of__(cls, model: M, /) -> M: ...

    __ddb_domain__: ClassVar[type[DomainModel] | None] = None
    __ddb_attributes__: ClassVar[Mapping[str, str]] = {}
    """View field name -> stored attribute name in the domain model's table."""
    __ddb_defaults__: ClassVar[Mapping[str, FieldInfo]] = {}
    """Required view fields whose domain field has a default: an item without the attribute
    is valid for the domain model, so the view falls back to the domain's default."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        domain = domain_model_of(cls, View)
        if domain is None:
            metadata = cls.__pydantic_generic_metadata__
            if metadata["origin"] is None and not metadata["parameters"]:
                raise ModelDefinitionError(
                    cls.__name__,
                    "a view must name its domain model: declare it as "
                    f"class {cls.__name__}(View[YourModel])",
                )
            return
        if not issubclass(domain, DomainModel):
            raise ModelDefinitionError(
                cls.__name__, f"View[{domain.__name__}]: {domain.__name__} is not a DomainModel"
            )
        cls.__ddb_domain__ = domain
        cls.__ddb_attributes__ = check_subset(cls, domain, "view")
        cls.__ddb_defaults__ = {
            name: domain.model_fields[name]
            for name, info in cls.model_fields.items()
            if info.is_required() and not domain.model_fields[name].is_required()
        }


class ViewOf(Protocol[MT, VT_co]):
    """For the type checker: a view class of the domain model ``MT`` whose instances are
    ``VT_co`` (``type[Summary]`` for ``class Summary(View[Pipeline])`` is a
    ``ViewOf[Pipeline, Summary]``). The reads of ``ReadApi[M]`` take ``view: ViewOf[M, V]``
    and return ``V``, so that mypy refuses a view of another model."""

    def __call__(self, *args: Any, **kwargs: Any) -> VT_co: ...

    def __ddb_view_of__(self, model: MT, /) -> MT: ...


def view_domain(view: type[View[Any]]) -> type[DomainModel]:
    """The domain model a view class reads from."""
    domain = view.__ddb_domain__
    if domain is None:
        raise ModelDefinitionError(view.__name__, "is not bound to a domain model (View[Model])")
    return domain


def view_attributes(view: type[View[Any]]) -> Mapping[str, str]:
    """View field name -> stored attribute name, as checked at definition."""
    return view.__ddb_attributes__
