import sys

from django.core.files.storage import FileSystemStorage, storages


class LocalPrivateStorage(FileSystemStorage):
    """Photos on local disk, in a directory that no URL serves.

    Files are reached only through the permission-checked photo view, which
    streams them; handing out a URL would bypass that check.
    """

    def url(self, name):
        raise NotImplementedError("Private files have no URL; stream them through a checked view.")


def private_storage():
    return storages["private"]


def is_s3(storage) -> bool:
    """Whether ``storage`` is django-storages' S3Storage, without importing it.

    Importing storages.backends.s3 loads boto3 (about 25 MiB in every
    process); a process whose storage is local never needs it. An S3Storage
    object exists only once its module has been imported, so the module not
    being loaded means the storage is not one.
    """
    s3 = sys.modules.get("storages.backends.s3")
    return s3 is not None and isinstance(storage, s3.S3Storage)
