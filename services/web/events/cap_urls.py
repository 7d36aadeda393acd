"""CAP 1.2 alerts under /realtime/cap/ and their Atom index /realtime/feeds/cap.atom."""

urlpatterns: list = []
