"""Why a backup or a restore was refused (the shell only: never an API answer)."""

from valliance.errors import VallianceError
from valliance.i18n import bilingual


class BackupFailed(VallianceError):
    status, code, pages_only = 500, "backup_failed", True
    message = bilingual("备份失败")


class BackupUnreadable(VallianceError):
    status, code, pages_only = 422, "backup_unreadable", True
    message = bilingual("备份文件无法读取：文件已损坏、不完整或不是备份")


class DatabaseNotEmpty(VallianceError):
    status, code, pages_only = 409, "database_not_empty", True
    message = bilingual("目标数据库不是空的：只能恢复到新建的空数据库")
