package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Media types of TAXII 2.1 (section 1.6.8) and STIX 2.1.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// The response headers of TAXII 2.1 section 3.3 for paged resources.
const (
	HeaderDateAddedFirst = "X-TAXII-Date-Added-First"
	HeaderDateAddedLast  = "X-TAXII-Date-Added-Last"
)

// Errors, for errors.Is.
var (
	// ErrBadProduct: ProductObjects of a product that cannot be mapped
	// (no id, producer or produced_at; an unknown handling label).
	ErrBadProduct = errors.New("taxii: product cannot be mapped to STIX")
	// ErrBadObjects: DecodeProducts of STIX objects that are not the
	// objects of products as ProductObjects makes them.
	ErrBadObjects = errors.New("taxii: objects are not sicollab products")
	// ErrInvalidConfig: NewHandler or NewClient with a configuration
	// whose Validate fails; the error names every field.
	ErrInvalidConfig = errors.New("taxii: invalid config")
)

// Discovery is the TAXII 2.1 discovery resource (section 4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is the TAXII 2.1 api-root resource (section 4.2.1).
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is the TAXII 2.1 collection resource (section 5.2.1).
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Collections is the TAXII 2.1 collections resource (section 5.1.1).
type Collections struct {
	Collections []Collection `json:"collections,omitempty"`
}

// Envelope is the TAXII 2.1 envelope resource (section 3.7): one page of
// objects.
type Envelope struct {
	More    bool              `json:"more,omitempty"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// ManifestRecord is one object of a manifest (section 5.3.1).
type ManifestRecord struct {
	ID        string    `json:"id"`
	DateAdded Timestamp `json:"date_added"`
	Version   string    `json:"version"`
	MediaType string    `json:"media_type,omitempty"`
}

// Manifest is the TAXII 2.1 manifest resource (section 5.3.1).
type Manifest struct {
	More    bool             `json:"more,omitempty"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// Versions is the TAXII 2.1 versions resource (section 5.8.1).
type Versions struct {
	More     bool     `json:"more,omitempty"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// Error is the TAXII 2.1 error message (section 3.6.1). It is also the
// error Client methods return for an error response: use errors.As.
type Error struct {
	Title           string            `json:"title"`
	Description     string            `json:"description,omitempty"`
	ErrorID         string            `json:"error_id,omitempty"`
	ErrorCode       string            `json:"error_code,omitempty"`
	HTTPStatus      string            `json:"http_status,omitempty"`
	ExternalDetails string            `json:"external_details,omitempty"`
	Details         map[string]string `json:"details,omitempty"`
}

// Error returns "taxii: <status> <title>: <description>".
func (e *Error) Error() string {
	return fmt.Sprintf("taxii: %s %s: %s", e.HTTPStatus, e.Title, e.Description)
}
