package vault_test

import (
	"context"
	"fmt"
	"testing"

	"keysmith/app/core"
	"keysmith/app/core/vault"
	"keysmith/app/testkit"
)

// BenchmarkUnlockDefault is one unlock with the default KDF (argon2id,
// m=64 MiB, t=3, p=4).
func BenchmarkUnlockDefault(b *testing.B) {
	p, k := testkit.CheapParams, vault.DefaultKDF
	c, err := core.Open(context.Background(), b.TempDir(), core.Options{Params: &p, VaultKDF: &k})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	u := testkit.Seed(b, c)
	if _, _, err := c.Vault.Setup(context.Background(), u.Admin.ID, phrase, false); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Vault.Unlock(context.Background(), u.Admin.ID, phrase, false); err != nil {
			b.Fatal(err)
		}
	}
}

func vault10k(b *testing.B) (*vault.Session, int64) {
	p, k := testkit.CheapParams, testkit.FastVaultKDF
	c, err := core.Open(context.Background(), b.TempDir(), core.Options{Params: &p, VaultKDF: &k})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	u := testkit.Seed(b, c)
	v, _, err := c.Vault.Setup(context.Background(), u.Admin.ID, phrase, false)
	if err != nil {
		b.Fatal(err)
	}
	items := make([]vault.Item, 10000)
	for i := range items {
		items[i] = vault.Item{Kind: vault.KindLogin, Title: fmt.Sprintf("Service %05d", i), Username: "user", Secret: "secret-value-0123456789"}
	}
	// One transaction: each Add checks and rewrites the manifest, so 10,000
	// separate adds would take minutes.
	if err := vault.AddMany(context.Background(), v, u.Admin.ID, items); err != nil {
		b.Fatal(err)
	}
	return v, u.Admin.ID
}

// BenchmarkList10k lists 10,000 items (each decrypted).
func BenchmarkList10k(b *testing.B) { benchList(b, "", 10000) }

// BenchmarkSearch10k searches 10,000 items.
func BenchmarkSearch10k(b *testing.B) { benchList(b, "ice 0999", 10) }

// benchList lists the items of a vault of 10,000 that match query (want of
// them).
func benchList(b *testing.B, query string, want int) {
	v, id := vault10k(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if items, err := v.List(context.Background(), id, query); err != nil || len(items) != want {
			b.Fatal(len(items), err)
		}
	}
}
