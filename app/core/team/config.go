package team

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"keysmith/app/core/errs"
	"keysmith/app/core/keyfile"
	"keysmith/app/core/sealed"
	"keysmith/app/core/secretfile"
)

// ConfigFile is the name of a data directory's team settings: present when
// the account lives in a team database rather than the local SQLite file.
const ConfigFile = "keysmith.team"

// Environment variables a server may give the database password in,
// instead of the sealed copy in the settings (never on the command line).
const (
	EnvDatabasePassword     = "KEYSMITH_DATABASE_PASSWORD"
	EnvDatabasePasswordFile = "KEYSMITH_DATABASE_PASSWORD_FILE"
)

// passwordPurpose is the key derivation label of the sealed password.
const passwordPurpose = "team database password v1"

// Config is a machine's team settings: the database address (never with a
// password in it) and, when the machine keeps it, the database password
// sealed with the data directory's key, bound to the address.
type Config struct {
	Database string `json:"database"`
	Password []byte `json:"password,omitempty"`
}

// NewConfig returns the settings for database and password, the password
// sealed with key ("" keeps none: the environment will give it).
func NewConfig(key *keyfile.Key, database, password string) (Config, error) {
	clean, inURL, err := CheckDatabaseURL(database)
	if err != nil {
		return Config{}, err
	}
	if inURL != "" {
		password = inURL
	}
	c := Config{Database: clean}
	if password != "" {
		if c.Password, err = sealed.Seal(key.Derive(passwordPurpose), []byte(password), []byte(clean)); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// SaveConfig writes dir's team settings for database and password (see
// NewConfig and Save).
func SaveConfig(dir string, key *keyfile.Key, database, password string) error {
	c, err := NewConfig(key, database, password)
	if err != nil {
		return err
	}
	return c.Save(dir)
}

// LoadConfig reads dir's team settings; ok is false when dir has none (its
// account is in the local SQLite file).
func LoadConfig(dir string) (c Config, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, false, nil
	}
	if err != nil {
		return Config{}, false, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, false, errs.Invalidf("team", "The team settings (%s in the data directory) are damaged; join the team again.", ConfigFile)
	}
	if _, _, err := CheckDatabaseURL(c.Database); err != nil {
		return Config{}, false, err
	}
	return c, true, nil
}

// Save writes c as dir's team settings (mode 0600), replacing any.
func (c Config) Save(dir string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".keysmith-team-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err = tmp.Write(append(b, '\n')); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, ConfigFile))
}

// URL returns the address to connect with: the settings' address with the
// password from EnvDatabasePassword, else from the file EnvDatabasePasswordFile
// names (which only its owner may read), else the sealed one; or the bare
// address when there is none (a local socket, say).
func (c Config) URL(key *keyfile.Key, getenv func(string) string) (string, error) {
	password := getenv(EnvDatabasePassword)
	if file := getenv(EnvDatabasePasswordFile); password == "" && file != "" {
		var err error
		if password, err = secretfile.Read(file, EnvDatabasePasswordFile, "team"); err != nil {
			return "", err
		}
	}
	if password == "" && c.Password != nil {
		pt, err := sealed.Open(key.Derive(passwordPurpose), c.Password, []byte(c.Database))
		if err != nil {
			return "", errs.Invalidf("team", "The database password in the team settings does not open with this data directory's key; join the team again.")
		}
		password = string(pt)
	}
	u, err := url.Parse(c.Database)
	if err != nil {
		return "", err
	}
	if password != "" {
		u.User = url.UserPassword(u.User.Username(), password)
	}
	return u.String(), nil
}
