package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
	"sync"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"keysmith/app/core"
	"keysmith/app/core/errs"
	"keysmith/app/face/cli"
	"keysmith/app/face/desktop"
	"keysmith/app/face/logfmt"
	"keysmith/app/version"
)

// noDisplay says why the window cannot open on this system, or "": on Linux
// GTK needs an X11 or Wayland display, and without one it panics.
func noDisplay(goos string, getenv func(string) string) string {
	if goos == "linux" && !bindingsRun && getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "the window needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set). " +
			"The command line works without one: keysmith help"
	}
	return ""
}

// openWindow runs the window over the data directory dir until it is closed.
func openWindow(dir string) int {
	if msg := noDisplay(goruntime.GOOS, os.Getenv); msg != "" {
		fmt.Fprintln(os.Stderr, "keysmith:", msg)
		return cli.ExitFailure
	}
	log := logfmt.New(os.Stderr, nil)
	// The database opens while the window and its web view start.
	facade := desktop.NewOpening(log)
	ready := make(chan struct{})
	later, stopLater := context.WithCancel(context.Background())
	go func() {
		defer close(ready)
		if bindingsRun { // wails build only reads the bound methods: no data is touched
			return
		}
		// The whole-database check runs after the first screen can show
		// (desktop.Opened), and before anything can write.
		opened, err := core.Open(context.Background(), dir, core.Options{CheckLater: true})
		if err != nil {
			log.Error("cannot open data directory", "dir", dir, "err", err.Error())
		}
		desktop.Opened(facade, opened, err)
		if errors.Is(err, errs.ErrUnreachable) {
			// A team database that is down as the window starts: it opens
			// when the database is back, without a restart.
			go desktop.OpenLater(later, facade, func(ctx context.Context) (*core.Core, error) {
				return core.Open(ctx, dir, core.Options{})
			})
		}
	}()

	var wctx context.Context
	// Who is signed in (Window.Session): what the menu may do. On Linux,
	// Wails v2 cannot change a menu once the window shows it (its update
	// builds a menu bar it never packs), so there the items stay and do
	// nothing for someone who may not use them.
	var menuMu sync.Mutex
	var role string
	allowed := func(admin bool) bool {
		menuMu.Lock()
		defer menuMu.Unlock()
		return role != "" && (!admin || role == "Administrator")
	}
	navigate := func(route string, admin bool) func(*menu.CallbackData) {
		return func(*menu.CallbackData) {
			if allowed(admin) {
				runtime.EventsEmit(wctx, desktop.EventNavigate, route)
			}
		}
	}
	appMenu := menu.NewMenu()
	file := appMenu.AddSubmenu("Keysmith")
	signOut := file.AddText("Sign out", nil, func(*menu.CallbackData) {
		if !allowed(false) {
			return
		}
		facade.SignOut()
		runtime.EventsEmit(wctx, desktop.EventSessionEnded, map[string]any{"reason": "signed-out"})
	})
	file.AddText("About Keysmith", nil, func(*menu.CallbackData) {
		runtime.MessageDialog(wctx, runtime.MessageDialogOptions{Type: runtime.InfoDialog, Title: "About Keysmith",
			Message: "Keysmith " + version.Version + "\nAPI credentials for your messaging account."})
	})
	file.AddSeparator()
	file.AddText("Quit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) { runtime.Quit(wctx) })
	settings := appMenu.AddSubmenu("Settings")
	// Each page with who may open it: anyone signed in, or Administrators.
	pages := []struct {
		item  *menu.MenuItem
		admin bool
	}{
		{settings.AddText("API Settings", keys.Combo("a", keys.CmdOrCtrlKey, keys.ShiftKey), navigate("api-settings", false)), false},
		{settings.AddText("Users", keys.Combo("u", keys.CmdOrCtrlKey, keys.ShiftKey), navigate("users", true)), true},
		{settings.AddText("General", keys.CmdOrCtrl(","), navigate("general", false)), false},
		{settings.AddText("Audit log", keys.Combo("l", keys.CmdOrCtrlKey, keys.ShiftKey), navigate("audit", true)), true},
		{settings.AddText("Verification", nil, navigate("verification", true)), true},
		{settings.AddText("Team", nil, navigate("team", false)), false},
		{settings.AddText("Vault", keys.Combo("v", keys.CmdOrCtrlKey, keys.ShiftKey), navigate("vault", false)), false},
		{settings.AddText("Change password", nil, navigate("password", false)), false},
	}
	// The menu offers what the signed-in user may open, and nothing but
	// About and Quit before anyone signs in (the core refuses the rest
	// anyway).
	menuUpdates := goruntime.GOOS != "linux"
	offer := func(now string) {
		menuMu.Lock()
		defer menuMu.Unlock()
		role = now
		if !menuUpdates {
			return
		}
		signOut.Disabled = role == ""
		for _, p := range pages {
			p.item.Disabled = role == "" || (p.admin && role != "Administrator")
		}
	}
	offer("")

	sum := sha256.Sum256([]byte(dir))
	err := wails.Run(&options.App{
		Title:     "Keysmith",
		Width:     1100,
		Height:    760,
		MinWidth:  720,
		MinHeight: 520,
		Menu:      appMenu,
		AssetServer: &assetserver.Options{
			Assets: assets,
		},
		BackgroundColour: &options.RGBA{R: 247, G: 248, B: 250, A: 255},
		ErrorFormatter:   desktop.FormatError,
		SingleInstanceLock: &options.SingleInstanceLock{
			// One window per data directory; a second launch focuses it.
			UniqueId: "keysmith-" + hex.EncodeToString(sum[:8]),
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {
				runtime.WindowUnminimise(wctx)
				runtime.Show(wctx)
			},
		},
		OnStartup: func(ctx context.Context) {
			wctx = ctx
			desktop.Attach(ctx, facade, desktop.Window{
				Emit:       func(name string, data ...any) { runtime.EventsEmit(ctx, name, data...) },
				Clipboard:  clipboard{ctx},
				ChooseFile: chooseFile(ctx),
				Session: func(role string) {
					offer(role)
					if menuUpdates {
						runtime.MenuUpdateApplicationMenu(ctx)
					}
				},
			})
		},
		OnShutdown: func(ctx context.Context) {
			desktop.Detach(ctx, facade)
			<-ready
			stopLater()
			desktop.Close(facade)
		},
		// Software rendering, as Wails does by default (wails#2977: blank
		// windows with some GPU drivers); a forms UI does not need the GPU.
		Linux: &linux.Options{ProgramName: "keysmith", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
		Bind:  []any{facade},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "keysmith: the window could not start:", err)
		return 1
	}
	return 0
}

// clipboard is the system clipboard through the Wails runtime.
type clipboard struct{ ctx context.Context }

func (c clipboard) SetText(text string) error { return runtime.ClipboardSetText(c.ctx, text) }
func (c clipboard) Text() (string, error)     { return runtime.ClipboardGetText(c.ctx) }

// chooseFile shows the system's file dialogs through the Wails runtime
// (answered by devChooseFile in the dev build, when it is set).
func chooseFile(ctx context.Context) desktop.ChooseFile {
	if dev := devChooseFile(os.Getenv); dev != nil {
		return dev
	}
	return func(d desktop.FileDialog) (string, error) {
		var filters []runtime.FileFilter
		if d.Filter != "" {
			filters = []runtime.FileFilter{{DisplayName: d.FilterName, Pattern: d.Filter}, {DisplayName: "All files", Pattern: "*"}}
		}
		if d.Save {
			return runtime.SaveFileDialog(ctx, runtime.SaveDialogOptions{Title: d.Title, DefaultFilename: d.DefaultName,
				DefaultDirectory: d.Dir, Filters: filters, CanCreateDirectories: true})
		}
		return runtime.OpenFileDialog(ctx, runtime.OpenDialogOptions{Title: d.Title, DefaultDirectory: d.Dir, Filters: filters})
	}
}
