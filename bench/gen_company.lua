-- gen_company.lua: a synthetic company for the scale benchmark (bench/run.sh).
--
--   lua5.4 bench/gen_company.lua PEOPLE OUT_DIR [SEED]
--
-- Writes OUT_DIR/people.csv (the columns of examples/demo/people.csv) and
-- OUT_DIR/directory-base.json (a simulator seed: the domain and the managed groups, no users).
-- Names are drawn from European name lists with a Zipf-like weighting, so common names collide
-- the way they do in a real company (many Thomas Müller), with diacritics (Zoë, Jürgen, Søren,
-- Łukasz, Çağla, Núñez), hyphens and particles (Müller-Lüdenscheidt, von der Heide); people
-- belong to departments, report to a manager in their department (heads report to the CEO), and
-- have a mix of statuses, hire and termination dates around the fixtures' date 2026-12-01.
-- Fictional people; example.com domains.

local N = tonumber(arg[1]) or error("usage: gen_company.lua PEOPLE OUT_DIR [SEED]")
local out_dir = arg[2] or error("usage: gen_company.lua PEOPLE OUT_DIR [SEED]")
math.randomseed(tonumber(arg[3]) or 20261201)

local first_female = {
  "Anna", "Maria", "Sophie", "Laura", "Julia", "Lena", "Lea", "Katrin", "Sabine", "Claudia", "Monika", "Petra",
  "Andrea", "Stefanie", "Nicole", "Sandra", "Melanie", "Christina", "Susanne", "Birgit", "Jana", "Emma", "Mia",
  "Hannah", "Emilia", "Zoë", "Chloé", "Renée", "Hélène", "Mélanie", "Ana", "Lucía", "Sofía", "Inés", "Dóra",
  "Åsa", "Ingrid", "Sigrid", "Maja", "Agnieszka", "Małgorzata", "Zuzana", "Çağla", "Ayşe", "Elif", "Zeynep",
  "Giulia", "Francesca", "Chiara", "Aoife", "Siobhán", "Mai", "Linh", "Ji-woo", "Mei", "Fatima", "Amira",
  "Marie-Luise", "Anne-Sophie", "Renate",
}
local first_male = {
  "Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Alexander", "Daniel", "Peter", "Frank",
  "Martin", "Jan", "Lukas", "Felix", "Jonas", "Leon", "Paul", "Maximilian", "Tobias", "Florian", "Sebastian",
  "Jürgen", "Björn", "Sören", "Jörg", "Uwe", "Günter", "Horst", "Klaus", "Wolfgang", "José", "Álvaro", "Nuño",
  "François", "Jérôme", "Gaël", "Søren", "Øystein", "Mikkel", "Lars", "Łukasz", "Paweł", "Jiří", "Tomáš",
  "Ümit", "Mehmet", "Emre", "Giuseppe", "Luca", "Matteo", "Seán", "Liam", "Minh", "Duc", "Min-jun", "Wei",
  "Omar", "Karl-Heinz", "Hans-Peter", "Bernd",
}
local last = {
  "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
  "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
  "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier",
  "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
  "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel",
  "Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann",
  "Franke", "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher",
  "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas",
  "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel", "Horn", "Busch",
  "Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer", "García", "Fernández", "López",
  "Martínez", "Sánchez", "Pérez", "Gómez", "Díaz", "Núñez", "Muñoz", "Álvarez", "Rossi", "Russo", "Ferrari",
  "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Dubois", "Lefèvre", "Moreau", "Girard", "Mercier",
  "Bonnet", "Lambert", "Fontaine", "Rousseau", "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk",
  "Kamiński", "Lewandowski", "Zieliński", "Woźniak", "Dąbrowski", "Nielsen", "Jensen", "Hansen", "Pedersen",
  "Andersen", "Sørensen", "Jørgensen", "Johansson", "Andersson", "Karlsson", "Nilsson", "Eriksson",
  "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Özdemir", "Smith", "Jones",
  "Williams", "Brown", "Taylor", "O'Brien", "O'Connor", "Murphy", "Kelly", "Nguyen", "Tran", "Pham", "Kim",
  "Lee", "Park", "Chen", "Wang", "Zhang", "Liu", "Novák", "Dvořák", "Horváth", "Nagy", "Kovačević",
  "Müller-Lüdenscheidt", "Schmidt-Rottluff", "von der Heide", "van den Berg", "de la Cruz", "Le Goff",
}
local departments = {
  { "Engineering", 0.30, { "Software Engineer", "Senior Software Engineer", "Staff Engineer", "QA Engineer", "SRE" } },
  { "Sales", 0.15, { "Account Executive", "Sales Development Representative", "Account Manager" } },
  { "Customer Success", 0.10, { "Customer Success Manager", "Support Engineer", "Onboarding Specialist" } },
  { "Marketing", 0.07, { "Marketing Manager", "Content Strategist", "Designer" } },
  { "Finance", 0.05, { "Accountant", "Controller", "Financial Analyst" } },
  { "People", 0.04, { "HR Business Partner", "Recruiter", "People Operations Specialist" } },
  { "Operations", 0.08, { "Operations Manager", "Logistics Coordinator", "Facility Manager" } },
  { "Product", 0.06, { "Product Manager", "Product Designer", "UX Researcher" } },
  { "Legal", 0.02, { "Legal Counsel", "Paralegal" } },
  { "IT", 0.04, { "IT Administrator", "Service Desk Analyst", "Security Engineer" } },
  { "Data", 0.05, { "Data Engineer", "Data Scientist", "Analytics Engineer" } },
  { "Procurement", 0.02, { "Buyer", "Procurement Manager" } },
  { "Research", 0.02, { "Research Scientist", "Lab Technician" } },
}
local offices = { "Berlin", "München", "Hamburg", "Köln", "Düsseldorf", "Wien", "Zürich", "Kraków", "Lisboa" }

-- Zipf-like pick: rank r has weight 1 / r^s.
local function sampler(list, s)
  local cum, total = {}, 0
  for r = 1, #list do
    total = total + 1 / r ^ s
    cum[r] = total
  end
  return function()
    local x = math.random() * total
    local lo, hi = 1, #list
    while lo < hi do
      local mid = (lo + hi) // 2
      if cum[mid] < x then lo = mid + 1 else hi = mid end
    end
    return list[lo]
  end
end

local pick_f, pick_m, pick_last = sampler(first_female, 0.7), sampler(first_male, 0.7), sampler(last, 0.6)
local dept_cum, dept_total = {}, 0
for i, d in ipairs(departments) do dept_total = dept_total + d[2]; dept_cum[i] = dept_total end
local function pick_dept()
  local x = math.random() * dept_total
  for i, c in ipairs(dept_cum) do if x <= c then return departments[i] end end
  return departments[#departments]
end

local function date(y, m, d) return string.format("%04d-%02d-%02d", y, m, d) end
local function random_date(y0, y1) return date(math.random(y0, y1), math.random(1, 12), math.random(1, 28)) end

local function csv(v)
  v = v or ""
  if v:find('[,"\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

local f = assert(io.open(out_dir .. "/people.csv", "w"))
f:write("id,first_name,last_name,preferred_name,email,status,department,position,office,supervisor_id,hire_date,termination_date,gender\n")
local ceo = 100000
local heads, members = {}, {}
f:write(string.format("%d,Andreas,Lindner,,,active,Management,Managing Director,Berlin,,2015-01-01,,male\n", ceo))
for i = 2, N do
  local id = ceo + i - 1
  local d = pick_dept()
  local gender = math.random() < 0.48 and "female" or (math.random() < 0.97 and "male" or "diverse")
  local first = gender == "female" and pick_f() or pick_m()
  local last_name = pick_last()
  -- A short form (the first three characters, not bytes: "Jür" from Jürgen).
  local preferred = math.random() < 0.03 and first:sub(1, (utf8.offset(first, 4) or #first + 1) - 1) or ""
  local status, hire, term = "active", random_date(2010, 2026), ""
  local r = math.random()
  if r < 0.02 then status, hire = "onboarding", date(2026, 12, math.random(2, 28))
  elseif r < 0.03 then status = "leave"
  elseif r < 0.05 then
    status, hire = "inactive", random_date(2010, 2023)
    term = random_date(tonumber(hire:sub(1, 4)) + 1, 2026)
  elseif r < 0.06 then term = date(2027, math.random(1, 6), math.random(1, 28)) end
  if hire > "2026-11-30" and status ~= "onboarding" then hire = "2026-11-02" end
  local supervisor
  if not heads[d[1]] then
    heads[d[1]] = id
    members[d[1]] = { id }
    supervisor = ceo
  else
    local m = members[d[1]]
    supervisor = m[math.random(1, math.min(#m, 1 + #m // 8))] -- the earlier people lead teams
    m[#m + 1] = id
  end
  local position = d[3][math.random(1, #d[3])]
  if heads[d[1]] == id then position = "Head of " .. d[1] end
  f:write(table.concat({ tostring(id), csv(first), csv(last_name), csv(preferred), "", status, csv(d[1]), csv(position),
                         csv(offices[math.random(1, #offices)]), tostring(supervisor), hire, term, gender }, ","), "\n")
end
f:close()

-- The simulator's starting directory: the domain and the managed groups.
local g = { '{\n  "domains": ["example.com"],\n  "users": [],\n  "groups": [\n' }
local groups = { "SG-Management", "Women" }
for _, d in ipairs(departments) do groups[#groups + 1] = "SG-" .. d[1] end
for i, name in ipairs(groups) do
  g[#g + 1] = string.format('    { "id": "b2000000-0000-4000-8000-%012d", "displayName": "%s", "members": [] }%s\n', i, name,
                            i < #groups and "," or "")
end
g[#g + 1] = "  ]\n}\n"
f = assert(io.open(out_dir .. "/directory-base.json", "w"))
f:write(table.concat(g))
f:close()
print(string.format("wrote %d people to %s/people.csv", N, out_dir))
