package synth

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// service is a scheduled passenger service that runs every day.
type service struct {
	carrier  *org
	number   string
	mode     schema.TransportMode
	from, to schema.Place
	dep      int // minutes after midnight UTC
	dur      int // minutes
	intl     bool
}

// tripKey is one run of a service: the service and the day (days since
// the Unix epoch) of its scheduled departure.
type tripKey struct {
	svc int
	day int32
}

func dayOf(t time.Time) int32 { return int32(t.Unix() / 86400) }

// departure returns the scheduled departure of service svc on day.
func (g *Generator) departure(svc int, day int32) time.Time {
	return time.Unix(int64(day)*86400+int64(g.services[svc].dep)*60, 0).UTC()
}

const servicesPerCarrier = 24

// buildTimetable gives every passenger carrier its daily services, from a
// stream of each carrier's own so that its timetable depends on the seed
// and its id alone.
func (g *Generator) buildTimetable() {
	used := map[string]bool{}
	for _, c := range g.sources[schema.KindTransportPassenger] {
		r := rand.New(rand.NewPCG(g.cfg.Seed, 0x74696d65^splitmix64(fnv64(c.ID))))
		mode := c.traits.mode
		if mode == "" {
			mode = schema.TransportRail
		}
		home := c.city
		// Coaches run to cities within reach of a day's drive.
		var reach []int
		for i, c := range cities {
			if i != home && (mode != schema.TransportRoad || distanceKm(cities[home].lat, cities[home].lon, c.lat, c.lon) < 900) {
				reach = append(reach, i)
			}
		}
		if len(reach) == 0 {
			reach = []int{(home + 1) % len(cities)}
		}
		h := cities[home]
		for i := 0; i < servicesPerCarrier; i += 2 {
			other := reach[r.IntN(len(reach))]
			intl := mode == schema.TransportAir && r.IntN(4) == 0
			var a, b schema.Place
			a = stop(mode, home)
			km := 0.0
			if intl {
				d := destinations[r.IntN(len(destinations))]
				b = schema.Place{Country: d.country, IATA: d.iata, Name: d.name}
				km = distanceKm(h.lat, h.lon, d.lat, d.lon)
			} else {
				b = stop(mode, other)
				km = distanceKm(h.lat, h.lon, cities[other].lat, cities[other].lon)
			}
			// Rail and road follow the land, about a fifth longer than
			// the great circle.
			var dur int
			switch mode {
			case schema.TransportAir:
				dur = 45 + int(km/12) + r.IntN(20) // 720 km/h, taxi and climb
			case schema.TransportRoad:
				dur = 20 + int(km) + r.IntN(30) // 1.2 km of road per km, at 72 km/h
			default:
				dur = 15 + int(km*1.2/4.2) + r.IntN(40) // 250 km/h, stops
			}
			for leg := range 2 {
				var num string
				for num == "" || used[num] {
					switch mode {
					case schema.TransportAir:
						num = c.traits.code + strconv.Itoa(100+r.IntN(9000))
					case schema.TransportRoad:
						num = c.traits.code + strconv.Itoa(100+r.IntN(900))
					default:
						num = string("GD"[r.IntN(2)]) + strconv.Itoa(1+r.IntN(2999))
					}
				}
				used[num] = true
				s := service{carrier: c, number: num, mode: mode, from: a, to: b, dep: (22*60 + r.IntN(16*60)) % 1440, dur: dur, intl: intl}
				if leg == 1 {
					s.from, s.to = b, a
				}
				c.svc = append(c.svc, len(g.services))
				g.services = append(g.services, s)
			}
		}
	}
}

// stop is the place of a city for a mode: its airport by IATA code, or
// its railway or coach station by UN/LOCODE.
func stop(mode schema.TransportMode, i int) schema.Place {
	c := cities[i]
	switch mode {
	case schema.TransportAir:
		return schema.Place{Country: "CN", Region: c.region, IATA: c.iata, Name: c.airport}
	case schema.TransportRoad:
		return schema.Place{Country: "CN", Region: c.region, Locode: c.locode, Name: c.name + " long-distance coach station"}
	}
	return schema.Place{Country: "CN", Region: c.region, Locode: c.locode, Name: c.station}
}

// fnv64 is the FNV-1a hash of s.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
