"""Why a backup or a restore was refused (the shell only: never an API answer)."""

from valliance.errors import VallianceError
from valliance.i18n import bilingual


class BackupError(VallianceError):
    pages_only = True  # the shell's refusals: not in the API's list of error codes


class BackupFailed(BackupError):
    """pg_dump failed, or the backup cannot be written where it was asked for."""

    status, code, message = 500, "backup_failed", bilingual("备份失败")


class BackupUnreadable(BackupError):
    """The file is missing, cut short, damaged, or no Valliance backup."""

    status, code = 422, "backup_unreadable"
    message = bilingual("备份文件无法读取：文件已损坏、不完整或不是备份")


class DatabaseNotEmpty(BackupError):
    """A restore writes only into a database that holds none of our tables."""

    status, code = 409, "database_not_empty"
    message = bilingual("目标数据库不是空的：只能恢复到新建的空数据库")
