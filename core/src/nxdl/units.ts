/**
 * Units against NXDL units categories (NX_LENGTH, NX_ENERGY, ...). A units string is parsed into
 * a dimension vector (SI base units plus angle) with the UDUNITS-style grammar beamlines use:
 * prefixes (mm, keV), powers (m^2, m**2, m2, s-1), products (N*m, N.m, N m) and quotients (m/s).
 * A category is a set of vectors, so `eV` is an energy and `Angstrom` a length; a string this
 * parser does not know is reported as unknown, never guessed.
 */

/** exponents of [m, kg, s, A, K, mol, cd, angle] */
type Dim = readonly number[];
const ZERO: Dim = [0, 0, 0, 0, 0, 0, 0, 0];
const dim = (m = 0, kg = 0, s = 0, a = 0, k = 0, mol = 0, cd = 0, angle = 0): Dim => [m, kg, s, a, k, mol, cd, angle];

const LENGTH = dim(1);
const TIME = dim(0, 0, 1);
const ENERGY = dim(2, 1, -2);
const ANGLE = dim(0, 0, 0, 0, 0, 0, 0, 1);

/** unit symbols and names that take SI prefixes */
const PREFIXED: Record<string, Dim> = {
  m: LENGTH, metre: LENGTH, meter: LENGTH, metres: LENGTH, meters: LENGTH,
  g: dim(0, 1), gram: dim(0, 1), grams: dim(0, 1),
  s: TIME, sec: TIME, second: TIME, seconds: TIME,
  A: dim(0, 0, 0, 1), ampere: dim(0, 0, 0, 1), amp: dim(0, 0, 0, 1),
  K: dim(0, 0, 0, 0, 1), kelvin: dim(0, 0, 0, 0, 1),
  mol: dim(0, 0, 0, 0, 0, 1), mole: dim(0, 0, 0, 0, 0, 1),
  cd: dim(0, 0, 0, 0, 0, 0, 1), candela: dim(0, 0, 0, 0, 0, 0, 1),
  rad: ANGLE, radian: ANGLE, radians: ANGLE,
  sr: dim(0, 0, 0, 0, 0, 0, 0, 2), steradian: dim(0, 0, 0, 0, 0, 0, 0, 2),
  Hz: dim(0, 0, -1), hertz: dim(0, 0, -1),
  N: dim(1, 1, -2), newton: dim(1, 1, -2),
  Pa: dim(-1, 1, -2), pascal: dim(-1, 1, -2), bar: dim(-1, 1, -2),
  J: ENERGY, joule: ENERGY, eV: ENERGY, electronvolt: ENERGY,
  W: dim(2, 1, -3), watt: dim(2, 1, -3),
  C: dim(0, 0, 1, 1), coulomb: dim(0, 0, 1, 1),
  V: dim(2, 1, -3, -1), volt: dim(2, 1, -3, -1),
  ohm: dim(2, 1, -3, -2), Ω: dim(2, 1, -3, -2),
  S: dim(-2, -1, 3, 2), siemens: dim(-2, -1, 3, 2),
  F: dim(-2, -1, 4, 2), farad: dim(-2, -1, 4, 2),
  T: dim(0, 1, -2, -1), tesla: dim(0, 1, -2, -1),
  Wb: dim(2, 1, -2, -1), weber: dim(2, 1, -2, -1),
  Gy: dim(2, 0, -2), Sv: dim(2, 0, -2), Bq: dim(0, 0, -1),
  L: dim(3), l: dim(3), litre: dim(3), liter: dim(3),
  b: dim(2), barn: dim(2),
  Torr: dim(-1, 1, -2), atm: dim(-1, 1, -2),
  Da: dim(0, 1), u: dim(0, 1),
};

/** units that take no prefix (and whose spelling would otherwise read as prefix + unit) */
const PLAIN: Record<string, Dim> = {
  '': ZERO, '1': ZERO, '%': ZERO, percent: ZERO, ppm: ZERO,
  counts: ZERO, count: ZERO, cts: ZERO, photons: ZERO, photon: ZERO, pulses: ZERO, pulse: ZERO, events: ZERO, pixel: ZERO, pixels: ZERO,
  deg: ANGLE, degree: ANGLE, degrees: ANGLE, '°': ANGLE, arcmin: ANGLE, arcsec: ANGLE, mrad: ANGLE, urad: ANGLE, µrad: ANGLE, μrad: ANGLE,
  Angstrom: LENGTH, angstrom: LENGTH, Angstroms: LENGTH, angstroms: LENGTH, Å: LENGTH, Ang: LENGTH, micron: LENGTH, microns: LENGTH, inch: LENGTH, in: LENGTH, ft: LENGTH,
  min: TIME, minute: TIME, minutes: TIME, h: TIME, hour: TIME, hours: TIME, hr: TIME, day: TIME, days: TIME, d: TIME,
  degC: dim(0, 0, 0, 0, 1), celsius: dim(0, 0, 0, 0, 1), Celsius: dim(0, 0, 0, 0, 1), '°C': dim(0, 0, 0, 0, 1), degF: dim(0, 0, 0, 0, 1), degK: dim(0, 0, 0, 0, 1),
  mbar: dim(-1, 1, -2), mmHg: dim(-1, 1, -2), psi: dim(-1, 1, -2),
  cal: ENERGY, erg: ENERGY,
};

const PREFIXES = ['da', 'Y', 'Z', 'E', 'P', 'T', 'G', 'M', 'k', 'h', 'd', 'c', 'm', 'u', 'µ', 'μ', 'n', 'p', 'f', 'a', 'z', 'y',
  'yotta', 'zetta', 'exa', 'peta', 'tera', 'giga', 'mega', 'kilo', 'hecto', 'deka', 'deci', 'centi', 'milli', 'micro', 'nano', 'pico', 'femto', 'atto'];

const SUPERSCRIPTS: Record<string, string> = { '⁻': '-', '¹': '1', '²': '2', '³': '3', '⁴': '4' };

function unitOf(symbol: string): Dim | undefined {
  if (Object.hasOwn(PLAIN, symbol)) return PLAIN[symbol];
  if (Object.hasOwn(PREFIXED, symbol)) return PREFIXED[symbol];
  for (const p of PREFIXES) {
    if (symbol.length > p.length && symbol.startsWith(p)) {
      const rest = symbol.slice(p.length);
      if (Object.hasOwn(PREFIXED, rest)) return PREFIXED[rest];
    }
  }
  return undefined;
}

/** the dimension vector of a units string; undefined when a part is not a known unit */
export function parseUnits(units: string): Dim | undefined {
  let text = units.trim();
  for (const [k, v] of Object.entries(SUPERSCRIPTS)) text = text.split(k).join(v);
  text = text.replace(/\*\*/g, '^').replace(/[()]/g, ' ');
  if (text === '' || Object.hasOwn(PLAIN, text)) return PLAIN[text] ?? ZERO;
  const total = [...ZERO];
  // tokens: factors separated by *, ., · or spaces; '/' inverts the factor after it
  const tokens = text.split(/(\/)|[*·\s]+|\.(?=[A-Za-zµμÅ°])/).filter((t) => t !== undefined && t !== '');
  let invert = false;
  for (const tok of tokens) {
    if (tok === '/') {
      invert = true;
      continue;
    }
    // a scale factor (1e-3 m, 1/s) carries no dimension
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(tok)) continue;
    const m = /^(.*?)(?:\^?([+-]?\d+))?$/.exec(tok)!;
    let base = m[1]!;
    let power = m[2] === undefined ? 1 : Number(m[2]);
    let u = unitOf(base);
    if (!u && m[2] !== undefined) {
      // "m2" might be a unit whose name ends in a digit; only then take the whole token
      u = unitOf(tok);
      if (u) {
        base = tok;
        power = 1;
      }
    }
    if (!u) return undefined;
    for (let i = 0; i < total.length; i++) total[i]! += u[i]! * power * (invert ? -1 : 1);
    invert = false;
  }
  return total;
}

const same = (a: Dim, b: Dim): boolean => a.every((x, i) => x === b[i]);

/** NXDL units categories (nxdlTypes.xsd) as the dimension vectors they accept */
const CATEGORIES: Record<string, readonly Dim[]> = {
  NX_ANGLE: [ANGLE],
  NX_AREA: [dim(2)],
  NX_CHARGE: [dim(0, 0, 1, 1)],
  NX_COUNT: [ZERO],
  NX_CROSS_SECTION: [dim(2)],
  NX_CURRENT: [dim(0, 0, 0, 1)],
  NX_DIMENSIONLESS: [ZERO],
  NX_EMITTANCE: [dim(1, 0, 0, 0, 0, 0, 0, 1), LENGTH],
  NX_ENERGY: [ENERGY],
  NX_FLUX: [dim(-2, 0, -1)],
  NX_FREQUENCY: [dim(0, 0, -1)],
  NX_LENGTH: [LENGTH],
  NX_MASS: [dim(0, 1)],
  NX_MASS_DENSITY: [dim(-3, 1)],
  NX_MOLECULAR_WEIGHT: [dim(0, 1, 0, 0, 0, -1), dim(0, 1)],
  NX_PER_AREA: [dim(-2)],
  NX_PER_LENGTH: [dim(-1)],
  NX_PERIOD: [TIME],
  NX_POWER: [dim(2, 1, -3)],
  NX_PRESSURE: [dim(-1, 1, -2)],
  NX_PULSES: [ZERO],
  NX_SCATTERING_LENGTH_DENSITY: [dim(-2)],
  NX_SOLID_ANGLE: [dim(0, 0, 0, 0, 0, 0, 0, 2)],
  NX_TEMPERATURE: [dim(0, 0, 0, 0, 1)],
  NX_TIME: [TIME],
  NX_TIME_OF_FLIGHT: [TIME],
  NX_TRANSFORMATION: [LENGTH, ANGLE, ZERO],
  NX_UNITLESS: [ZERO],
  NX_VOLTAGE: [dim(2, 1, -3, -1)],
  NX_VOLUME: [dim(3)],
  NX_WAVELENGTH: [LENGTH],
  NX_WAVENUMBER: [dim(-1), dim(-1, 0, 0, 0, 0, 0, 0, 1)],
};

export type UnitsVerdict = 'ok' | 'wrong' | 'unknown-units' | 'unknown-category';

/**
 * Does `units` belong to `category`? With a transformation type (translation, rotation) an
 * NX_TRANSFORMATION narrows to a length or an angle.
 */
export function unitsFit(units: string, category: string, transformationType?: string): UnitsVerdict {
  if (category === 'NX_ANY') return 'ok';
  let accepted = CATEGORIES[category];
  if (!accepted) return 'unknown-category';
  if (category === 'NX_TRANSFORMATION' && transformationType === 'translation') accepted = [LENGTH];
  if (category === 'NX_TRANSFORMATION' && transformationType === 'rotation') accepted = [ANGLE];
  const d = parseUnits(units);
  if (!d) return 'unknown-units';
  return accepted.some((a) => same(a, d)) ? 'ok' : 'wrong';
}

/** a hint for a common mistake: 'A' is the ampere */
export function unitsHint(units: string): string {
  return units.trim() === 'A' ? " ('A' is the ampere; the Ångström is 'Angstrom')" : '';
}
