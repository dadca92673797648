"""PyYAML, imported lazily (the optional extra ``ddbwrap[yaml]``), and a CloudFormation dumper."""

from __future__ import annotations

from typing import Any

from ddbwrap.errors import MissingDependencyError

_SHORT_TAGS = {"Fn::Sub": "!Sub", "Ref": "!Ref", "Fn::GetAtt": "!GetAtt"}



def yaml_module() -> Any:
    """The ``yaml`` module, or a clear error naming the extra to install."""
    try:
        import yaml
    except ImportError as exc:
        raise MissingDependencyError(
            "YAML output needs PyYAML: pip install 'ddbwrap[yaml]' (or use --json)"
        ) from exc
    return yaml


def dump_cloudformation(template: dict[str, Any]) -> str:
    """YAML with CloudFormation's short intrinsic tags, keys in template order."""
    yaml = yaml_module()

    class Tagged:
        def __init__(self, tag: str, value: Any) -> None:
            self.tag, self.value = tag, value

    class Dumper(yaml.SafeDumper):  # type: ignore[misc,name-defined]
        pass

    def represent(dumper: Any, data: Tagged) -> Any:
        if isinstance(data.value, list):
            return dumper.represent_scalar(data.tag, ".".join(data.value))
        return dumper.represent_scalar(data.tag, data.value)

    Dumper.add_representer(Tagged, represent)

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, inner),) = value.items()
                if key in _SHORT_TAGS:
                    return Tagged(_SHORT_TAGS[key], inner)
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    text: str = yaml.dump(
        convert(template), Dumper=Dumper, sort_keys=False, default_flow_style=False, width=100
    )
    return text


def load_yaml(text: str) -> Any:
    """Parse YAML (safe loader)."""
    return yaml_module().safe_load(text)
