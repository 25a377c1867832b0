package synth

import (
	"math"

	"github.com/sicollab/sicollab/schema"
)

// Static tables the generator draws from. Places are real public place
// codes (ISO 3166, UN/LOCODE, IATA) of big cities, ports and airports;
// every organization, person, service, reference and amount is made up.

// city is a Chinese city with a railway station, an airport and a
// UN/LOCODE.
type city struct {
	name    string
	region  string // ISO 3166-2
	locode  string // UN/LOCODE of the city
	iata    string // main airport
	airport string
	station string
	lat     float64 // approximate, for distances
	lon     float64
}

var cities = []city{
	{"Beijing", "CN-BJ", "CNBJS", "PEK", "Beijing Capital International Airport", "Beijing South Railway Station", 39.90, 116.41},
	{"Shanghai", "CN-SH", "CNSHA", "PVG", "Shanghai Pudong International Airport", "Shanghai Hongqiao Railway Station", 31.23, 121.47},
	{"Guangzhou", "CN-GD", "CNCAN", "CAN", "Guangzhou Baiyun International Airport", "Guangzhou South Railway Station", 23.13, 113.26},
	{"Shenzhen", "CN-GD", "CNSZX", "SZX", "Shenzhen Bao'an International Airport", "Shenzhen North Railway Station", 22.54, 114.06},
	{"Hangzhou", "CN-ZJ", "CNHGH", "HGH", "Hangzhou Xiaoshan International Airport", "Hangzhou East Railway Station", 30.27, 120.16},
	{"Tianjin", "CN-TJ", "CNTSN", "TSN", "Tianjin Binhai International Airport", "Tianjin West Railway Station", 39.08, 117.20},
	{"Nanjing", "CN-JS", "CNNKG", "NKG", "Nanjing Lukou International Airport", "Nanjing South Railway Station", 32.06, 118.80},
	{"Wuhan", "CN-HB", "CNWUH", "WUH", "Wuhan Tianhe International Airport", "Wuhan Railway Station", 30.59, 114.31},
	{"Chengdu", "CN-SC", "CNCTU", "CTU", "Chengdu Shuangliu International Airport", "Chengdu East Railway Station", 30.66, 104.07},
	{"Xiamen", "CN-FJ", "CNXMN", "XMN", "Xiamen Gaoqi International Airport", "Xiamen North Railway Station", 24.48, 118.09},
	{"Qingdao", "CN-SD", "CNTAO", "TAO", "Qingdao Jiaodong International Airport", "Qingdao North Railway Station", 36.07, 120.38},
	{"Chongqing", "CN-CQ", "CNCKG", "CKG", "Chongqing Jiangbei International Airport", "Chongqing North Railway Station", 29.56, 106.55},
}

// cityOfRegion returns the index of the first city in region, or 0.
func cityOfRegion(region string) int {
	for i, c := range cities {
		if c.region == region {
			return i
		}
	}
	return 0
}

// abroad is a foreign destination: a country, a city with a UN/LOCODE and
// its main airport.
type abroad struct {
	country string
	locode  string
	iata    string
	name    string
	lat     float64
	lon     float64
}

var destinations = []abroad{
	{"HK", "HKHKG", "HKG", "Hong Kong", 22.32, 114.17},
	{"MO", "MOMFM", "MFM", "Macao", 22.20, 113.54},
	{"SG", "SGSIN", "SIN", "Singapore", 1.35, 103.82},
	{"KR", "KRSEL", "ICN", "Seoul", 37.57, 126.98},
	{"JP", "JPTYO", "NRT", "Tokyo", 35.68, 139.69},
	{"TH", "THBKK", "BKK", "Bangkok", 13.76, 100.50},
	{"AE", "AEDXB", "DXB", "Dubai", 25.20, 55.27},
	{"DE", "DEFRA", "FRA", "Frankfurt am Main", 50.11, 8.68},
	{"KZ", "KZALA", "ALA", "Almaty", 43.24, 76.89},
	{"MY", "MYKUL", "KUL", "Kuala Lumpur", 3.14, 101.69},
	{"VN", "VNSGN", "SGN", "Ho Chi Minh City", 10.82, 106.63},
	{"TR", "TRIST", "IST", "Istanbul", 41.01, 28.98},
}

// nationalities of the foreign tenth of the population.
var foreignNationalities = []string{"HK", "MO", "SG", "KR", "JP", "TH", "MY", "VN", "KZ", "DE", "GB", "US", "FR", "RU"}

// seaport is a container port, for freight and customs inspections.
type seaport struct {
	country, region, locode, name string
}

var cnSeaports = []seaport{
	{"CN", "CN-SH", "CNSHA", "Yangshan container terminal"},
	{"CN", "CN-ZJ", "CNNGB", "Beilun container terminal"},
	{"CN", "CN-GD", "CNYTN", "Yantian international container terminal"},
	{"CN", "CN-GD", "CNSHK", "Shekou container terminal"},
	{"CN", "CN-TJ", "CNTXG", "Xingang container terminal"},
	{"CN", "CN-SD", "CNTAO", "Qianwan container terminal"},
	{"CN", "CN-FJ", "CNXMN", "Haicang container terminal"},
}

var foreignSeaports = []seaport{
	{"SG", "", "SGSIN", "Singapore"},
	{"KR", "", "KRPUS", "Busan"},
	{"NL", "", "NLRTM", "Rotterdam"},
	{"DE", "", "DEHAM", "Hamburg"},
	{"BE", "", "BEANR", "Antwerp"},
	{"AE", "", "AEJEA", "Jebel Ali"},
	{"MY", "", "MYPKG", "Port Klang"},
	{"US", "", "USLAX", "Los Angeles"},
	{"VN", "", "VNSGN", "Ho Chi Minh City"},
}

// borderPort is a Chinese border crossing point for customs.entry_exit.
type borderPort struct {
	place schema.Place
	modes []schema.CustomsTransportMode
	// abroad is the index in destinations of the place across the border
	// for land and ferry ports, or -1 for airports (any destination).
	abroad int
}

var borderPorts = []borderPort{
	{schema.Place{Country: "CN", Region: "CN-BJ", Locode: "CNBJS", IATA: "PEK", Name: "Beijing Capital International Airport"}, []schema.CustomsTransportMode{schema.CustomsModeAir}, -1},
	{schema.Place{Country: "CN", Region: "CN-SH", Locode: "CNSHA", IATA: "PVG", Name: "Shanghai Pudong International Airport"}, []schema.CustomsTransportMode{schema.CustomsModeAir}, -1},
	{schema.Place{Country: "CN", Region: "CN-GD", Locode: "CNCAN", IATA: "CAN", Name: "Guangzhou Baiyun International Airport"}, []schema.CustomsTransportMode{schema.CustomsModeAir}, -1},
	{schema.Place{Country: "CN", Region: "CN-SC", Locode: "CNCTU", IATA: "CTU", Name: "Chengdu Shuangliu International Airport"}, []schema.CustomsTransportMode{schema.CustomsModeAir}, -1},
	{schema.Place{Country: "CN", Region: "CN-GD", Locode: "CNSZX", Name: "Shenzhen land port"}, []schema.CustomsTransportMode{schema.CustomsModeRoad, schema.CustomsModeFoot, schema.CustomsModeRail}, 0},
	{schema.Place{Country: "CN", Region: "CN-GD", Locode: "CNZUH", Name: "Zhuhai land port"}, []schema.CustomsTransportMode{schema.CustomsModeRoad, schema.CustomsModeFoot}, 1},
	{schema.Place{Country: "CN", Region: "CN-GD", Locode: "CNSHK", Name: "Shekou ferry terminal"}, []schema.CustomsTransportMode{schema.CustomsModeSea}, 0},
}

// substance is a hazardous substance sold under reporting duties: every
// one is an explosives precursor or a regulated dangerous good.
type substance struct {
	name     string
	cas      string
	un       string
	class    string
	conc     [2]int // concentration range in percent w/w; zero when not applicable
	unit     string
	price    [2]int // price range per unit in yuan
	qty      [2]int // usual quantity range in units for a private buyer
	business bool   // mostly bought by businesses
}

var substances = []substance{
	{"Hydrogen peroxide solution", "7722-84-1", "UN2014", "5.1", [2]int{20, 35}, "l", [2]int{8, 25}, [2]int{1, 10}, false},
	{"Acetone, technical grade", "67-64-1", "UN1090", "3", [2]int{99, 99}, "l", [2]int{6, 15}, [2]int{1, 20}, false},
	{"Ammonium nitrate", "6484-52-2", "UN1942", "5.1", [2]int{0, 0}, "kg", [2]int{4, 9}, [2]int{5, 50}, true},
	{"Potassium nitrate", "7757-79-1", "UN1486", "5.1", [2]int{0, 0}, "kg", [2]int{10, 30}, [2]int{1, 10}, false},
	{"Sodium nitrate", "7631-99-4", "UN1498", "5.1", [2]int{0, 0}, "kg", [2]int{6, 18}, [2]int{1, 10}, false},
	{"Nitromethane", "75-52-5", "UN1261", "3", [2]int{0, 0}, "l", [2]int{60, 140}, [2]int{1, 4}, false},
	{"Nitric acid", "7697-37-2", "UN2031", "8", [2]int{60, 68}, "l", [2]int{12, 30}, [2]int{1, 5}, true},
	{"Sulphuric acid", "7664-93-9", "UN1830", "8", [2]int{90, 98}, "l", [2]int{5, 14}, [2]int{1, 10}, true},
	{"Potassium chlorate", "3811-04-9", "UN1485", "5.1", [2]int{0, 0}, "kg", [2]int{20, 45}, [2]int{1, 3}, false},
	{"Hexamine", "100-97-0", "UN1328", "4.1", [2]int{0, 0}, "kg", [2]int{15, 40}, [2]int{1, 5}, false},
	{"Aluminium powder", "7429-90-5", "UN1396", "4.3", [2]int{0, 0}, "kg", [2]int{30, 80}, [2]int{1, 5}, false},
	{"Magnesium powder", "7439-95-4", "UN1418", "4.3", [2]int{0, 0}, "kg", [2]int{40, 90}, [2]int{1, 3}, false},
}

// plantedPrecursors are the substances of the precursor pattern: an
// oxidiser, a fuel or solvent and a nitrate (indices into substances).
var plantedPrecursors = [3][]int{{0, 8}, {1, 5, 10}, {2, 3, 4}}

// goods is a freight or customs goods line.
type goods struct {
	desc    string
	hs      string
	unit    string   // quantity unit
	kgPer   [2]int   // gross kg per unit
	qty     [2]int   // quantity range
	dg      *dgGoods // dangerous goods, or nil
	finding finding  // what an inspection of it may find
	origin  []string // countries of origin for imports
}

type dgGoods struct {
	un, class string
	pg        schema.FreightPackingGroup
}

type finding int

const (
	findNone finding = iota
	findPrecursor
	findPest
	findWeapon
	findProhibited
)

var goodsTable = []goods{
	{desc: "Laptop computers", hs: "847130", unit: "piece", kgPer: [2]int{2, 3}, qty: [2]int{50, 2000}, origin: []string{"CN", "VN", "MY"}},
	{desc: "Cotton trousers", hs: "620342", unit: "package", kgPer: [2]int{8, 15}, qty: [2]int{20, 400}, origin: []string{"CN", "VN", "TH"}},
	{desc: "Wooden furniture, flat-packed", hs: "940360", unit: "package", kgPer: [2]int{15, 60}, qty: [2]int{10, 300}, origin: []string{"CN", "MY", "VN"}},
	{desc: "Valves for pipes and tanks", hs: "848180", unit: "package", kgPer: [2]int{20, 80}, qty: [2]int{5, 100}, origin: []string{"CN", "DE", "KR"}},
	{desc: "Ceramic floor tiles", hs: "690721", unit: "package", kgPer: [2]int{25, 40}, qty: [2]int{40, 800}, origin: []string{"CN"}},
	{desc: "Frozen fish fillets", hs: "030389", unit: "package", kgPer: [2]int{10, 25}, qty: [2]int{50, 900}, finding: findPest, origin: []string{"VN", "TH", "RU"}},
	{desc: "Fresh citrus fruit", hs: "080510", unit: "package", kgPer: [2]int{10, 20}, qty: [2]int{50, 1200}, finding: findPest, origin: []string{"TH", "VN", "AE"}},
	{desc: "Motor vehicle parts", hs: "870899", unit: "package", kgPer: [2]int{10, 90}, qty: [2]int{10, 400}, origin: []string{"DE", "JP", "KR"}},
	{desc: "Plastic toys", hs: "950300", unit: "package", kgPer: [2]int{5, 12}, qty: [2]int{20, 600}, origin: []string{"CN", "VN"}},
	{desc: "Lithium-ion batteries", hs: "850760", unit: "package", kgPer: [2]int{10, 30}, qty: [2]int{5, 200}, dg: &dgGoods{"UN3480", "9", ""}, origin: []string{"CN", "KR", "JP"}},
	{desc: "Paint, flammable", hs: "320810", unit: "package", kgPer: [2]int{20, 25}, qty: [2]int{10, 300}, dg: &dgGoods{"UN1263", "3", schema.FreightPackingGroupIII}, origin: []string{"CN", "DE"}},
	{desc: "Ammonium nitrate based fertilizer", hs: "310230", unit: "package", kgPer: [2]int{500, 1000}, qty: [2]int{5, 40}, dg: &dgGoods{"UN2067", "5.1", schema.FreightPackingGroupIII}, finding: findPrecursor, origin: []string{"RU", "KZ"}},
	{desc: "Sulphuric acid in drums", hs: "280700", unit: "package", kgPer: [2]int{200, 250}, qty: [2]int{4, 80}, dg: &dgGoods{"UN1830", "8", schema.FreightPackingGroupII}, finding: findPrecursor, origin: []string{"CN", "KR"}},
	{desc: "Acetone in drums", hs: "291411", unit: "package", kgPer: [2]int{160, 170}, qty: [2]int{4, 60}, dg: &dgGoods{"UN1090", "3", schema.FreightPackingGroupII}, finding: findPrecursor, origin: []string{"CN", "KR", "DE"}},
	{desc: "Hydrogen peroxide solution in drums", hs: "284700", unit: "package", kgPer: [2]int{30, 35}, qty: [2]int{4, 60}, dg: &dgGoods{"UN2014", "5.1", schema.FreightPackingGroupII}, finding: findPrecursor, origin: []string{"CN", "DE"}},
	{desc: "Sodium hydroxide, solid", hs: "281511", unit: "package", kgPer: [2]int{25, 25}, qty: [2]int{10, 200}, dg: &dgGoods{"UN1823", "8", schema.FreightPackingGroupII}, origin: []string{"CN"}},
	{desc: "Hunting rifle telescopic sights", hs: "901310", unit: "piece", kgPer: [2]int{1, 2}, qty: [2]int{5, 60}, finding: findWeapon, origin: []string{"DE", "US"}},
	{desc: "Counterfeit branded handbags", hs: "420221", unit: "piece", kgPer: [2]int{1, 2}, qty: [2]int{20, 500}, finding: findProhibited, origin: []string{"TH", "VN"}},
}

// merchant is a card acceptor for card payments.
type merchant struct {
	name string
	mcc  string
	amt  [2]int // usual amount range in yuan
}

var merchants = []merchant{
	{"Golden Wheat Noodle House", "5812", [2]int{25, 180}},
	{"Riverside Fresh Market", "5411", [2]int{30, 600}},
	{"Eastbound Fuel Station", "5541", [2]int{150, 600}},
	{"Bright Pixel Electronics", "5732", [2]int{200, 9000}},
	{"Jade Leaf Pharmacy", "5912", [2]int{15, 400}},
	{"Silver Thread Tailors", "5651", [2]int{80, 1500}},
	{"Lantern Street Bookshop", "5942", [2]int{20, 300}},
	{"Harbour View Hotel Group", "7011", [2]int{300, 2500}},
	{"Metro Ride Card", "4111", [2]int{2, 50}},
	{"Cloud Nine Tea Room", "5814", [2]int{15, 120}},
	{"Northwind Hardware", "5251", [2]int{20, 1200}},
	{"Plum Blossom Department Store", "5311", [2]int{50, 3000}},
}

// pathogen is a notifiable infectious disease.
type pathogen struct {
	name    string
	icd10   string
	sources []schema.HealthSource
	cases   [2]int
}

var pathogens = []pathogen{
	{"Salmonella enteritidis", "A02.0", []schema.HealthSource{schema.HealthSourceFood}, [2]int{3, 40}},
	{"Norovirus", "A08.1", []schema.HealthSource{schema.HealthSourcePersonToPerson, schema.HealthSourceFood}, [2]int{5, 80}},
	{"Legionella pneumophila", "A48.1", []schema.HealthSource{schema.HealthSourceWater, schema.HealthSourceEnvironmental}, [2]int{2, 15}},
	{"Influenza A", "J10.1", []schema.HealthSource{schema.HealthSourcePersonToPerson}, [2]int{10, 200}},
	{"Coxiella burnetii (Q fever)", "A78", []schema.HealthSource{schema.HealthSourceAnimal}, [2]int{2, 20}},
	{"Brucella melitensis", "A23.0", []schema.HealthSource{schema.HealthSourceAnimal, schema.HealthSourceFood}, [2]int{1, 12}},
	{"Dengue virus", "A97.0", []schema.HealthSource{schema.HealthSourceEnvironmental}, [2]int{3, 60}},
	{"Hepatitis A virus", "B15.9", []schema.HealthSource{schema.HealthSourceFood, schema.HealthSourceWater}, [2]int{2, 30}},
	{"Measles virus", "B05.9", []schema.HealthSource{schema.HealthSourcePersonToPerson}, [2]int{2, 25}},
	{"Vibrio cholerae", "A00.1", []schema.HealthSource{schema.HealthSourceWater}, [2]int{1, 10}},
	{"Bacillus anthracis", "A22.0", []schema.HealthSource{schema.HealthSourceAnimal, schema.HealthSourceUnknown}, [2]int{1, 4}},
}

// categoryReasons gives a statement of reasons per content category.
var categoryReasons = map[schema.AccountCategory][]string{
	schema.AccountViolentExtremism: {
		"Posts glorify a recent attack and praise its perpetrators.",
		"Image matches a hash-list entry for violent extremist material.",
	},
	schema.AccountTerroristPropaganda: {
		"Video matches a hash-list entry for propaganda of a listed group.",
		"Channel reposts a listed group's official publications.",
	},
	schema.AccountIncitement: {
		"Calls for violence against a public gathering, reported by several users.",
		"Messages urge followers to attack a named kind of venue.",
	},
	schema.AccountRecruitment: {
		"Account invites users to a closed channel associated with a listed group.",
		"Direct messages recruit contacts for travel to a conflict zone.",
	},
	schema.AccountFinancingSolicitation: {
		"Fundraising posts give a wallet address linked to a listed group.",
		"Posts solicit donations for fighters under a charity pretext.",
	},
	schema.AccountWeaponsInstructions: {
		"Shared document gives instructions for making an improvised device.",
		"Video shows how to modify a firearm; matched by automated review.",
	},
	schema.AccountOtherCategory: {
		"Threatening messages reported by a user; referred for review.",
	},
}

var accountCategories = []schema.AccountCategory{
	schema.AccountViolentExtremism, schema.AccountTerroristPropaganda, schema.AccountIncitement,
	schema.AccountRecruitment, schema.AccountFinancingSolicitation, schema.AccountWeaponsInstructions,
	schema.AccountOtherCategory,
}

var mediaTypes = []string{"text/plain", "image/jpeg", "image/png", "video/mp4", "application/pdf", "audio/ogg"}

var urlHosts = []string{"files.example.net", "cdn.example.org", "share.example.com", "paste.example.net", "video.example.org"}

// Synthetic names, for clear identity only (never emitted by default).
// The syllables are invented; any likeness to a real name is chance.
var (
	familyNames = []string{"Aurel", "Belan", "Corvi", "Dastra", "Elvon", "Farrow", "Gessa", "Halden", "Ivaro", "Jessen", "Korrin", "Lomax", "Marrek", "Norvell", "Ostra", "Pellan"}
	givenNames  = []string{"Ari", "Bex", "Cael", "Dova", "Eris", "Fen", "Galen", "Hale", "Isel", "Jory", "Kestra", "Lio", "Mira", "Noor", "Oren", "Pell", "Quill", "Rhea", "Sorin", "Tamsin"}
)

// distanceKm is the great-circle distance between two points.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
