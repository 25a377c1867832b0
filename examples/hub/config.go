package main

// Settings beside the flags: a JSON config file and environment
// variables, with one name per setting. A flag on the command line wins
// over the environment, which wins over the file, which wins over the
// flag's default.
//
//	{"listen": "127.0.0.1:8480", "directory": "scheme.json", "data": "/var/lib/hub",
//	 "org": "central-bank", "log-format": "json", "shutdown-timeout": "30s", "taxii": true}
//
//	SICOLLAB_HUB_LOG_LEVEL=debug SICOLLAB_HUB_CONFIG=/etc/hub.json hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// envPrefix starts the environment variable of every setting:
// SICOLLAB_HUB_ and the flag's name in capitals, - as _.
const envPrefix = "SICOLLAB_HUB_"

// notInFile are the flags a config file cannot set.
var notInFile = []string{"config", "version"}

// envName is the environment variable of the flag name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// applySettings sets every flag of fs that the command line left unset
// from the environment (lookup) or the config file (-config, or
// SICOLLAB_HUB_CONFIG). It returns every problem found, each naming the
// setting, where it came from and the value, joined.
func applySettings(fs *flag.FlagSet, configFile string, lookup func(string) (string, bool)) error {
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	if !onCommandLine["config"] {
		configFile, _ = lookup(envName("config"))
	}
	var errs []error
	file, err := readConfigFile(fs, configFile)
	if err != nil {
		errs = append(errs, err)
	}
	fs.VisitAll(func(f *flag.Flag) {
		if onCommandLine[f.Name] || slices.Contains(notInFile, f.Name) {
			return
		}
		if v, ok := lookup(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("environment %s=%q: %w", envName(f.Name), v, want(f, err)))
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("config file %s: %q is %q: %w", configFile, f.Name, v, want(f, err)))
			}
		}
	})
	return errors.Join(errs...)
}

// want says what a flag takes, for a value it refused with err.
func want(f *flag.Flag, err error) error {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return err
	}
	switch g.Get().(type) {
	case time.Duration:
		return errors.New("want a duration such as 30s or 5m")
	case bool:
		return errors.New("want true or false")
	case int, int64, uint, uint64:
		return errors.New("want a whole number")
	}
	return err
}

// readConfigFile reads path (none if empty) as one JSON object of
// settings named as the flags, each a string, a number or a boolean.
// It returns the values as a flag would take them, and every problem.
func readConfigFile(fs *flag.FlagSet, path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return parseConfig(fs, path, raw)
}

// parseConfig is readConfigFile on the bytes raw of the file path.
func parseConfig(fs *flag.FlagSet, path string, raw []byte) (map[string]string, error) {
	var doc map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || doc == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, fmt.Errorf("config file %s: want one JSON object of settings: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("config file %s: want one JSON object of settings, and nothing after it", path)
	}
	out := map[string]string{}
	var errs []error
	names := make([]string, 0, len(doc))
	for k := range doc {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if fs.Lookup(k) == nil || slices.Contains(notInFile, k) {
			errs = append(errs, fmt.Errorf("config file %s: %q is not a setting; the settings are the flags' names (hub -h)", path, k))
			continue
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(doc[k]))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			errs = append(errs, fmt.Errorf("config file %s: %q: %w", path, k, err))
			continue
		}
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = fmt.Sprint(v)
		default:
			errs = append(errs, fmt.Errorf("config file %s: %q is %s; want a string, a number or a boolean", path, k, doc[k]))
		}
	}
	return out, errors.Join(errs...)
}
