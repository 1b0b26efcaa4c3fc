from django.contrib import admin

from imports.models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("filename", "kind", "territory", "created_by", "created_at", "status", "rows_total", "rows_invalid")
    list_filter = ("kind", "status")
    exclude = ("content",)
    readonly_fields = ("errors", "file_error", "task_id", "encoding")
