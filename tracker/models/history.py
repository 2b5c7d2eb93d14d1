"""History (django-simple-history) at the cost imports can afford: they write it by the thousand."""

from django.db import connections, router
from simple_history import utils
from simple_history.manager import HistoricalQuerySet, HistoryManager
from simple_history.models import HistoricalRecords


class BuiltHistoryManager(HistoryManager.from_queryset(HistoricalQuerySet)):
    """The library's history manager, its class built once.

    The library builds the manager's class (from_queryset, which inspects every queryset method)
    each time `instance.history` is read, and it reads it for every history row it writes: about a
    third of a millisecond a row, seconds for a spreadsheet of 10,000 rows."""

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        if queryset_class is HistoricalQuerySet:
            return cls
        return super().from_queryset(queryset_class, class_name)


class QuickHistoricalRecords(HistoricalRecords):
    """HistoricalRecords whose manager class is built once (BuiltHistoryManager)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("history_manager", BuiltHistoryManager)
        super().__init__(*args, **kwargs)


class LinkedHistoricalRecords(QuickHistoricalRecords):
    """History whose rows also keep the record's many-to-many links (m2m_fields), copied cheaply.

    The library copies the links of every history row by loading each link with both records it
    joins (a join and two model instances per link), then inserting them again. Here the database
    copies them itself (INSERT … SELECT, one statement a field); and a writer that has just made the
    links (an import creating a commitment) hands them over in `instance._history_links` (field
    name -> the link rows' values), so they are inserted without being read back. The library's
    pre/post_create_historical_m2m_records signals are not sent: nothing here listens to them."""

    def create_historical_record_m2ms(self, history_instance, instance):
        given = getattr(instance, "_history_links", {})
        for field in history_instance._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            if field.name in given:
                m2m_history_model.objects.bulk_create(
                    [m2m_history_model(history=history_instance, **row) for row in given[field.name]]
                )
            else:
                _copy_links(field, m2m_history_model, history_instance.pk, instance.pk)


def _copy_links(field, m2m_history_model, history_id, owner_id) -> None:
    """One record's link rows (of the m2m `field`) copied into its history row `history_id`."""
    through = field.remote_field.through
    connection = connections[router.db_for_write(m2m_history_model)]
    quote = connection.ops.quote_name
    link_columns = [f.column for f in through._meta.fields]
    history_columns = [m2m_history_model._meta.get_field(f.name).column for f in through._meta.fields]
    history_columns.append(m2m_history_model._meta.get_field("history").column)
    owner_column = through._meta.get_field(utils.get_m2m_field_name(field)).column
    target = f"{quote(m2m_history_model._meta.db_table)} ({', '.join(map(quote, history_columns))})"
    copied, links = ", ".join(map(quote, link_columns)), quote(through._meta.db_table)
    # Only names from the models' own metadata, quoted, go into the text; the values are parameters.
    sql = f"INSERT INTO {target} SELECT {copied}, %s FROM {links} WHERE {quote(owner_column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [history_id, owner_id])
