def register(router) -> None:
    return None


urlpatterns: list = []
