// Command pgcluster runs a throwaway PostgreSQL cluster for the scripts and
// browser journeys that need a team database (make bench, frontend/e2e): the
// cluster of app/testkit/pgtest (a temporary directory, a free loopback port,
// an unprivileged user), with N empty databases.
//
//	go run ./scripts/pgcluster [-databases N]
//
// It prints one postgres:// URL a line (trust authentication on 127.0.0.1,
// no password), then "ready", and runs until its standard input closes or it
// gets SIGINT or SIGTERM; then it stops the cluster and removes its
// directory. A caller that dies closes the pipe, so no cluster is left
// behind. It also reads "stop" and "start" lines on
// standard input, which stop and start the cluster in place (the same port
// and data), for tests of a database that goes away and comes back.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"keysmith/app/testkit/pgtest"
)

func main() {
	n := flag.Int("databases", 1, "how many empty databases to create")
	flag.Parse()
	if *n < 1 || *n > 32 {
		fmt.Fprintln(os.Stderr, "pgcluster: -databases must be 1 to 32")
		os.Exit(2)
	}
	srv, err := pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgcluster:", err)
		os.Exit(1)
	}
	code := run(srv, *n)
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgcluster:", err)
		code = 1
	}
	os.Exit(code)
}

func run(srv *pgtest.Server, n int) int {
	for range n {
		url, _, err := srv.CreateDB(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgcluster:", err)
			return 1
		}
		fmt.Println(url)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	lines := make(chan string)
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			lines <- strings.TrimSpace(in.Text())
		}
		close(lines)
	}()
	for {
		select {
		case <-sig:
			return 0
		case line, ok := <-lines:
			if !ok {
				return 0
			}
			if err := control(srv, line); err != nil {
				fmt.Fprintln(os.Stderr, "pgcluster:", err)
			} else {
				fmt.Println(line, "done")
			}
		}
	}
}

// control stops or starts the cluster in place.
func control(srv *pgtest.Server, cmd string) error {
	switch cmd {
	case "stop":
		return srv.Pause()
	case "start":
		return srv.Resume()
	}
	return fmt.Errorf("unknown command %q (stop, start)", cmd)
}
