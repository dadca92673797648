"""Commands of the table_config domain."""

from __future__ import annotations

from ddbwrap import WriteApi

from ...models.domain_models import TableConfig
from ...models.dtos import CreateTableConfig, ToggleTable


class TableConfigWriteApi(WriteApi[TableConfig]):
    def add(self, dto: CreateTableConfig) -> TableConfig:
        return self.create(dto)

    def set_enabled(self, pipeline_id: str, table_name: str, enabled: bool) -> TableConfig:
        key = {"pipeline_id": pipeline_id, "table_name": table_name}
        return self.update(key, ToggleTable(is_enabled=enabled))
