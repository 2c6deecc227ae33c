"""The overview and the sidebar as a user drives them: sort keys, header clicks, the name filter,
totals, data ages, and that neither view builds anything per resource."""

from __future__ import annotations

from typing import Any

from bwtui.session.rows import SORT_CYCLE
from ui_support import fake_app, named_script, screen_text, settle

SIZE = (120, 32)


def overview_names(app: Any) -> list[str]:
    return [app.store.states[key].resource.name for key in app.overview.ordered_keys]


def header_line(app: Any) -> str:
    return screen_text(app).splitlines()[1]


async def open_overview(pilot: Any, app: Any) -> None:
    await settle(pilot, app)
    if app.view_mode != "overview":
        await pilot.press("o")
    app.overview.apply_sort()
    await pilot.pause()


# ----- sorting ----------------------------------------------------------------------------
async def test_s_steps_the_sort_through_every_column_and_the_header_shows_which() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        assert "out ▼" in header_line(app)
        outs = [app.store.rates(k)[1] for k in app.overview.ordered_keys]
        assert outs == sorted(outs, reverse=True)
        await pilot.press("s")
        await pilot.pause()
        assert app.session.rows.sort_column == "in" and "in ▼" in header_line(app)
        ins = [app.store.rates(k)[0] for k in app.overview.ordered_keys]
        assert ins == sorted(ins, reverse=True)
        await pilot.press("s")
        await pilot.pause()
        assert "▼period out" in header_line(app)
        periods = [app.store.states[k].usage.period_out_bytes for k in app.overview.ordered_keys]
        assert periods == sorted(periods, reverse=True)
        for _ in range(SORT_CYCLE.index("name") - 2):
            await pilot.press("s")
        await pilot.pause()
        assert "name ▲" in header_line(app)
        assert overview_names(app) == sorted(overview_names(app), key=str.casefold)


async def test_a_header_click_sorts_by_that_column_and_a_second_click_reverses_it() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        x = app.overview.column_x("period_out")
        await pilot.click("#overview", offset=(x + 2, 0))
        await pilot.pause()
        periods = [app.store.states[k].usage.period_out_bytes for k in app.overview.ordered_keys]
        assert periods == sorted(periods, reverse=True) and "▼period out" in header_line(app)
        await pilot.click("#overview", offset=(x + 2, 0))
        await pilot.pause()
        periods = [app.store.states[k].usage.period_out_bytes for k in app.overview.ordered_keys]
        assert periods == sorted(periods) and "▲period out" in header_line(app)
        await pilot.click("#overview", offset=(app.overview.column_x("name"), 0))
        await pilot.pause()
        assert overview_names(app) == sorted(overview_names(app), key=str.casefold)
        # the top row is the first name, on screen too
        assert overview_names(app)[0] in screen_text(app).splitlines()[2]


async def test_rows_that_cannot_be_priced_sort_after_the_priced_ones() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        await pilot.click("#overview", offset=(app.overview.column_x("overage") + 2, 0))
        await pilot.pause()
        providers = [key[0] for key in app.overview.ordered_keys]
        assert providers == ["hv-prod"] * 8 + ["vpn"] * 4  # Altostrat has no price: last


# ----- columns and totals -----------------------------------------------------------------
async def test_share_of_allowance_and_overage_cost_are_separate_columns() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        header = header_line(app)
        assert "proj %" in header and "overage $" in header
        assert header.index(" in") < header.index("out")  # in, then out
        assert header.index("period in") < header.index("period out")
        row = next(line for line in screen_text(app).splitlines() if "vpn-01" in line)
        assert "%" not in row and "$" not in row  # no allowance, no price: dashes, not guesses


async def test_totals_per_account_and_overall_sit_under_the_rows() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        lines = screen_text(app).splitlines()
        footer_at = next(i for i, line in enumerate(lines) if "q Quit" in line)
        totals = lines[footer_at - 3:footer_at]
        assert "hv-prod (8)" in totals[0] and "vpn (4)" in totals[1] and "all (12)" in totals[2]
        accounts, overall = app.session.rows.totals()
        from bwtui.session.format import format_bytes, format_rate
        assert format_rate(overall.out_bps) in totals[2]
        assert format_bytes(overall.period_out_bytes) in totals[2]
        assert "$" in totals[0] and "$" in totals[2]  # hv-prod is priced
        assert "$" not in totals[1]


async def test_totals_follow_the_filter() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        await pilot.press("slash", "c", "a", "c", "h", "e", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "shown (2)" in text and "hv-prod (2)" not in text  # one account: one line
        assert "vpn (" not in text


async def test_the_overview_filter_bar_keeps_the_table_whole_and_its_totals_current() -> None:
    """Over the overview, '/' opens a bar above the table: no sidebar pushes the columns aside,
    the totals follow every key, and the sidebar is up to date when the detail comes back."""
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        width, columns = app.overview.size.width, header_line(app)
        await pilot.press("slash", "e")
        await pilot.pause()
        bar = app.query_one("#overview-filter")
        assert app.focused is bar and not app.query_one("#sidebar").display
        assert app.overview.size.width == width and screen_text(app).splitlines()[2] == columns
        with_e = len(overview_names(app))
        assert 2 < with_e < 12 and f"shown ({with_e})" in screen_text(app)
        await pilot.press("d", "g", "e")
        await pilot.pause()
        assert sorted(overview_names(app)) == ["edge-1", "edge-2"] and "shown (2)" in screen_text(app)
        await pilot.press("enter", "o")  # keep it, then the detail: its sidebar shows the same
        await pilot.pause()
        assert app.view_mode == "detail" and app.tree.line_count == 1 + 2
        assert app.selected is not None and app.store.states[app.selected].resource.name.startswith("edge")
        await pilot.press("o", "slash")  # the bar opens holding the filter
        await pilot.pause()
        assert app.query_one("#overview-filter").value == "edge"
        await pilot.press("escape")
        await pilot.pause()
        assert len(overview_names(app)) == 12 and "filter:" not in screen_text(app)
        assert app.focused is app.overview and app.overview.size.width == width
        await pilot.press("slash", "z", "z", "z", "escape", "o")  # nothing matched meanwhile
        await pilot.pause()
        assert app.view_mode == "detail" and app.selected is not None  # the detail shows one
        assert "No resource selected" not in screen_text(app)


async def test_an_old_figure_shows_its_age_and_a_fresh_one_does_not() -> None:
    app = fake_app(named_script(stale={"edge-1": 1260}))
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        rows = {line.split()[1]: line for line in screen_text(app).splitlines()[2:14]
                if len(line.split()) > 1}
        assert rows["edge-1"].rstrip().endswith("$0.00  21m  hv-prod")
        assert rows["edge-2"].rstrip().endswith("$0.00       hv-prod")


async def test_wide_terminals_give_names_the_room() -> None:
    long_names = ["a-very-long-resource-name-that-goes-on-for-ever-" + str(i) for i in range(8)]
    app = fake_app(named_script(names=long_names))
    async with app.run_test(size=(200, 40)) as pilot:
        await open_overview(pilot, app)
        assert long_names[0] in screen_text(app)  # 49 characters, whole
    app = fake_app(named_script(names=long_names))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_overview(pilot, app)
        assert long_names[0] not in screen_text(app)


async def test_s_says_the_new_order_in_the_header_for_a_moment(monkeypatch: Any) -> None:
    import bwtui.ui.app as app_module

    monkeypatch.setattr(app_module, "SORT_NOTE_S", 0.2)
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        top = screen_text(app).splitlines()[0]
        assert f"sorted by {app.session.rows.sort_label()}" in top and "12 resources" in top
        await pilot.pause(0.4)
        assert "sorted by" not in screen_text(app).splitlines()[0]


# ----- the filter -------------------------------------------------------------------------
async def test_filter_shows_in_the_header_and_backspace_esc_and_an_empty_box_undo_it() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        await pilot.press("slash", "p", "r", "i", "m")
        await pilot.pause()
        assert "filter: prim · 1 of 12" in screen_text(app).splitlines()[0]
        assert overview_names(app) == ["prim-db"]
        await pilot.press("backspace", "backspace", "backspace")
        await pilot.pause()
        assert "filter: p · 5 of 12" in screen_text(app)
        assert sorted(overview_names(app)) == ["prim-db", "vpn-01", "vpn-02", "vpn-03", "vpn-04"]
        await pilot.press("escape")  # in the box: clears and closes
        await pilot.pause()
        assert "filter:" not in screen_text(app) and len(overview_names(app)) == 12
        assert app.focused is app.overview
        await pilot.press("slash", "e", "d", "g", "e", "enter")
        await pilot.pause()
        assert "filter: edge · 2 of 12" in screen_text(app) and app.focused is app.overview
        await pilot.press("escape")  # in the view: clears
        await pilot.pause()
        assert "filter:" not in screen_text(app) and len(overview_names(app)) == 12
        await pilot.press("slash", "w", "e", "b", "enter")
        await pilot.pause()
        assert len(overview_names(app)) == 3
        await pilot.press("slash", "backspace", "enter")  # the box opens selected: empty clears
        await pilot.pause()
        assert "filter:" not in screen_text(app) and len(overview_names(app)) == 12


async def test_slash_then_enter_keeps_the_filter() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        await pilot.press("slash", "w", "e", "b", "enter", "slash", "enter")
        await pilot.pause()
        assert "filter: web · 3 of 12" in screen_text(app)


async def test_enter_opens_the_highlighted_filtered_row_in_the_overview() -> None:
    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        await pilot.press("slash", "c", "a", "c", "h", "e", "enter")
        await pilot.pause()
        assert app.overview.highlighted_key() == app.overview.ordered_keys[0]
        await pilot.press("j")
        await pilot.pause()
        wanted = app.overview.ordered_keys[1]
        await pilot.press("enter")
        await pilot.pause()
        assert app.view_mode == "detail" and app.selected == wanted
        name = app.store.states[wanted].resource.name
        assert f"{name}  hivelocity" in screen_text(app)


async def test_in_the_sidebar_the_selection_and_detail_follow_the_filter() -> None:
    app = fake_app(named_script(services=4, instances=2), accounts=(("hv-prod", "hivelocity"), ("vpn", "altostrat")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.view_mode == "detail" and app.selected[1] == "1000"
        await pilot.press("slash", "e", "d", "g", "e")
        await pilot.pause()
        # prim-db (selected) is filtered out: the first match is selected and shown
        assert app.selected == ("hv-prod", "1001")
        assert "edge-1  hivelocity" in screen_text(app)
        await pilot.press("enter", "j")
        await pilot.pause()
        assert app.selected == ("hv-prod", "1002")
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == ("hv-prod", "1002") and "edge-2  hivelocity" in screen_text(app)
        await pilot.press("slash", "z", "z", "z")
        await pilot.pause()
        text = screen_text(app)
        assert "filter: zzz · 0 of 6" in text
        assert "edge-2  hivelocity" not in text  # the detail never shows a hidden resource
        await pilot.press("escape")
        await pilot.pause()
        assert "filter:" not in screen_text(app)


async def test_enter_on_a_sidebar_resource_opens_it_and_on_an_account_folds_it() -> None:
    app = fake_app(named_script(services=4, instances=2))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("o")  # to the overview and back: enter in the sidebar opens
        await pilot.press("o")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.view_mode == "detail" and app.selected == ("hv-prod", "1001")
        app.tree.select_data(("account", "hv-prod"))
        await pilot.press("enter")
        await pilot.pause()
        assert app.tree.line_count == 2 + 2  # two accounts, hv-prod folded
        assert "edge-1" not in screen_text(app).split("▕")[0]
        await pilot.press("enter")
        await pilot.pause()
        assert app.tree.line_count == 2 + 6


# ----- fleet size -------------------------------------------------------------------------
def _widget_count(app: Any) -> int:
    """Widgets on the screen, but for the chart area (made when a resource's detail is first
    shown: the small fleet's first view, not the big one's)."""
    return sum(1 for widget in app.screen.walk_children()
               if not any(node.id == "chart-panel" for node in widget.ancestors_with_self))


async def test_five_thousand_resources_mount_without_a_widget_per_resource() -> None:
    small = fake_app(named_script(services=8, instances=4))
    async with small.run_test(size=SIZE) as pilot:
        await open_overview(pilot, small)
        small_widgets = _widget_count(small)
    names = [f"node-{i:05d}" for i in range(5000)]
    big = fake_app(named_script(services=5000, instances=4, names=names))
    async with big.run_test(size=SIZE) as pilot:
        await open_overview(pilot, big)
        assert big.overview.row_count == 5004
        assert big.tree.line_count == 5004 + 2
        assert _widget_count(big) == small_widgets
        assert len(big.overview._cells) <= 3 * 32  # rendered rows kept: a few screenfuls
        await pilot.press("slash", "0", "4", "2", "enter")
        await pilot.pause()
        assert big.overview.row_count == sum("042" in name for name in names)
        assert _widget_count(big) == small_widgets
        await pilot.press("escape", "end")
        await pilot.pause()
        assert big.overview.highlighted_key() == big.overview.ordered_keys[-1]


async def test_keys_typed_straight_after_slash_all_reach_the_filter() -> None:
    """A fast typist (or a paste) sends '/' and the text in one go: no key may reach the view."""
    from textual import events

    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        for char in "/cache":
            key = "slash" if char == "/" else char
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)  # all queued before any is handled
        await pilot.pause()
        await pilot.pause()
        assert "filter: cache · 2 of 12" in screen_text(app)
        assert app.view_mode == "overview"
        await pilot.press("slash")  # in the box, '/' is text
        await pilot.pause()
        assert "filter: cache/ · 0 of 12" in screen_text(app)


async def test_a_big_list_arriving_while_typing_a_filter_keeps_the_box_and_its_focus() -> None:
    """The view switches to the overview when many resources arrive; the box stays put."""
    from bwtui.events import AccountListed
    from ui_support import make_resources

    app = fake_app(named_script(services=4, instances=2))  # 6 resources: the detail view
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.view_mode == "detail"
        await pilot.press("slash", "n", "o")
        many = make_resources("hv-prod", "hivelocity", 40, [f"node-{i:02d}" for i in range(40)])
        app.poller.emit(AccountListed("hv-prod", "hivelocity", tuple(many)))
        await pilot.pause()
        assert app.view_mode == "overview"
        await pilot.press("d", "e", "-", "0", "7")
        await pilot.pause()
        assert "filter: node-07 · 1 of 42" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.overview and app.overview.ordered_keys == [("hv-prod", "1007")]


async def test_rows_listed_before_their_data_take_the_sort_order_as_soon_as_the_data_comes() -> None:
    """The header says ``out ▼`` from the start: the first figures must not wait out the
    5-second pause between automatic re-sorts (that pause spares the reader rows that jump,
    and a list sorted with no figures has no order to keep)."""
    from bwtui.events import AccountListed, ResourceUpdated
    from ui_support import T0, make_resources, make_state

    hv = make_resources("hv-prod", "hivelocity", 8)
    app = fake_app(lambda poller: [AccountListed("hv-prod", "hivelocity", tuple(hv)),
                                   AccountListed("vpn", "altostrat", ())])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("o")
        await pilot.pause()
        assert app.session.rows.sorted_blind  # sorted with nothing to sort by
        for seed, resource in enumerate(hv):
            app.poller.emit(ResourceUpdated(make_state(resource, seed, T0)))
        await pilot.pause(1.0)  # the debounce (0.5 s), not the 5 s between re-sorts
        outs = [app.store.rates(k)[1] for k in app.overview.ordered_keys]
        assert None not in outs and outs == sorted(outs, reverse=True)
        assert not app.session.rows.sorted_blind


async def test_an_automatic_re_sort_repaints_only_the_lines_whose_row_moved(monkeypatch: Any) -> None:
    """A row that climbs past four others changes five lines; the rest of the table is not
    written again (a whole-table redraw every few seconds was most of the idle output)."""
    from textual.geometry import Region

    from bwtui.events import ResourceUpdated
    from ui_support import T0, make_state

    app = fake_app(named_script())
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(pilot, app)
        table = app.overview
        before = list(table.ordered_keys)
        climber = before[4]
        fastest_seed = next(seed for seed, key in enumerate(
            [r.key for view in app.store.accounts.values() for r in view.resources]) if key == before[0])
        app.poller.emit(ResourceUpdated(make_state(app.store.states[climber].resource, fastest_seed, T0)))
        await pilot.pause()
        painted: list[Region] = []
        original = type(table).refresh

        def recording(self: Any, *regions: Region, **kwargs: Any) -> Any:
            if self is table:
                painted.extend(regions or [Region(0, 0, 10_000, 10_000)])
            return original(self, *regions, **kwargs)

        monkeypatch.setattr(type(table), "refresh", recording)
        table.apply_sort()
        after = list(table.ordered_keys)
        moved = [y for y, (old, new) in enumerate(zip(before, after)) if old != new]
        assert after[0] == climber and moved == [0, 1, 2, 3, 4]
        assert {region.y - 1 for region in painted} == set(moved)  # (the cursor's lines among them)
        assert all(region.height == 1 for region in painted)
