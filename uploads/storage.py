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
