package schema

import "time"

// InfectiousSource is an aggregate report of a cluster or outbreak of an
// infectious disease and its suspected source (kind
// health.infectious_source), modelled on IHR and ECDC notifications. It
// carries counts, never a named or pseudonymized patient: the health of a
// person is a special category of data.
type InfectiousSource struct {
	// ReportRef is the facility's reference; updates keep it.
	ReportRef string `json:"report_ref"`
	// ReportType says whether this is the initial report, an update or the
	// final one.
	ReportType HealthReportType `json:"report_type"`
	// Facility is the reporting hospital, laboratory or authority.
	Facility HealthFacility `json:"facility"`
	// Pathogen is the disease or agent.
	Pathogen HealthPathogen `json:"pathogen"`
	// CaseCount holds the cumulative counts; zero counts are kept.
	CaseCount HealthCaseCount `json:"case_count"`
	// Area is where the cases occurred; Region is required for this kind.
	Area Place `json:"area"`
	// Onset spans the earliest to the latest symptom onset, when known.
	Onset *Window `json:"onset,omitempty"`
	// ReportedAt is when the facility made this report.
	ReportedAt time.Time `json:"reported_at"`
	// SuspectedSource is the suspected source or route of infection.
	SuspectedSource HealthSource `json:"suspected_source"`
	// LabConfirmed reports whether a laboratory confirmed the pathogen.
	LabConfirmed bool `json:"lab_confirmed"`
	// Notes are epidemiological notes, never identifying a patient.
	Notes string `json:"notes,omitempty"`
}

// HealthReportType is the place of a report in the series about one
// outbreak.
type HealthReportType string

// Report types of health.infectious_source v1.
const (
	HealthReportInitial HealthReportType = "initial"
	HealthReportUpdate  HealthReportType = "update"
	HealthReportFinal   HealthReportType = "final"
)

// HealthFacility identifies the facility that reports.
type HealthFacility struct {
	// OrgID is the facility as the directory knows it.
	OrgID string `json:"org_id"`
	// Name is the facility's name.
	Name string `json:"name"`
}

// HealthPathogen names the disease or agent, with its ICD-10 code when
// known.
type HealthPathogen struct {
	// Name of the pathogen or disease.
	Name string `json:"name"`
	// ICD10 is the ICD-10 code, e.g. A02.0.
	ICD10 string `json:"icd10,omitempty"`
}

// HealthCaseCount holds cumulative case counts. All three are always
// encoded: 0 is a meaningful count.
type HealthCaseCount struct {
	// Confirmed cases.
	Confirmed int `json:"confirmed"`
	// Suspected or probable cases not yet confirmed.
	Suspected int `json:"suspected"`
	// Deaths among the cases.
	Deaths int `json:"deaths"`
}

// HealthSource is the suspected source or route of an infection.
type HealthSource string

// Suspected sources of health.infectious_source v1.
const (
	HealthSourceFood              HealthSource = "food"
	HealthSourceWater             HealthSource = "water"
	HealthSourceAnimal            HealthSource = "animal"
	HealthSourcePersonToPerson    HealthSource = "person_to_person"
	HealthSourceEnvironmental     HealthSource = "environmental"
	HealthSourceDeliberateRelease HealthSource = "deliberate_release"
	HealthSourceUnknown           HealthSource = "unknown"
)

func init() {
	register(KindHealthInfectious, 1, InfectiousSource{})
}
