// The web pages' common frame: the document head, the header with the name, the owner's tabs and the top-right
// actions. Each page's own content is a fragment in public/pages/; this file says how each page is framed, so
// the head and the navigation are written once. `renderPage` is pure: the same page and content, the same document.
import { readFile } from 'node:fs/promises';

/** The owner's pages, in tab order. */
export const TABS: ReadonlyArray<readonly [path: string, label: string]> = [
  ['/', 'Device'],
  ['/people', 'People'],
  ['/feed', 'Feed'],
  ['/wifi', 'Wi-Fi'],
];

const LOGOUT = '<button type="button" class="link-button" id="logout">Log out</button>';
const LINK_STATUS = '<p class="link" id="link" data-state="connecting" role="status">connecting…</p>';
const OWNER_LOGIN = '<a class="owner-link" id="owner-link" href="/login">Owner? Log in</a>';

export interface PageFrame {
  /** The URL the page is served at (its tab is marked current). */
  path: string;
  /** The content fragment, public/pages/<file>. */
  file: string;
  /** The page's name, before "· Smallworld" in the title. */
  title: string;
  /** Under the name in the header; `subtitleId` when the page's script rewrites it. */
  subtitle: string;
  subtitleId?: string;
  /** Style sheets after /app.css. */
  styles: string[];
  script: string;
  /** The class of <main> (the login pages' narrow column, the guest view). */
  mainClass?: string;
  /** The owner's tabs (not on the login pages or the guest view). */
  tabs: boolean;
  /** The header's right-hand side, in order. */
  actions: string[];
}

export const PAGES = {
  device: {
    path: '/',
    file: 'index.html',
    title: 'Device',
    subtitle: 'device',
    subtitleId: 'subtitle',
    styles: ['/device.css'],
    script: '/device.js',
    tabs: true,
    actions: [LINK_STATUS, LOGOUT],
  },
  people: {
    path: '/people',
    file: 'people.html',
    title: 'People',
    subtitle: 'People',
    styles: [],
    script: '/people.js',
    tabs: true,
    actions: [LOGOUT],
  },
  feed: {
    path: '/feed',
    file: 'feed.html',
    title: 'Feed',
    subtitle: 'Feed',
    styles: [],
    script: '/feed.js',
    tabs: true,
    actions: [LOGOUT],
  },
  wifi: {
    path: '/wifi',
    file: 'wifi.html',
    title: 'Wi-Fi',
    subtitle: 'Wi-Fi',
    styles: [],
    script: '/wifi.js',
    tabs: true,
    actions: [LOGOUT],
  },
  login: {
    path: '/login',
    file: 'login.html',
    title: 'Log in',
    subtitle: 'Log in',
    styles: [],
    script: '/login.js',
    mainClass: 'auth',
    tabs: false,
    actions: [],
  },
  setup: {
    path: '/setup',
    file: 'setup.html',
    title: 'First setup',
    subtitle: 'First setup',
    styles: [],
    script: '/login.js',
    mainClass: 'auth',
    tabs: false,
    actions: [],
  },
  shared: {
    path: '/shared',
    file: 'shared.html',
    title: 'Shared',
    subtitle: 'Shared on this device',
    styles: ['/shared.css'],
    script: '/shared.js',
    mainClass: 'shared',
    tabs: false,
    actions: [OWNER_LOGIN],
  },
} satisfies Record<string, PageFrame>;

/** The whole document: the frame around `content` (the page's fragment, as it is). */
export function renderPage(page: PageFrame, content: string): string {
  const styles = ['/app.css', ...page.styles].map((href) => `<link rel="stylesheet" href="${href}">`);
  const header = [
    '  <header class="top">',
    '    <div class="brand">',
    '      <h1>Smallworld</h1>',
    `      <p class="subtitle"${page.subtitleId ? ` id="${page.subtitleId}"` : ''}>${page.subtitle}</p>`,
    '    </div>',
    ...(page.tabs ? ['    <nav class="tabs" aria-label="Pages">', `      ${tabLinks(page.path)}`, '    </nav>'] : []),
    ...(page.actions.length > 0
      ? ['    <div class="top-actions">', ...page.actions.map((action) => `      ${action}`), '    </div>']
      : []),
    '  </header>',
  ];
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="dark">',
    `<title>${page.title} · Smallworld</title>`,
    '<link rel="icon" href="data:,">',
    ...styles,
    `<script type="module" src="${page.script}"></script>`,
    '</head>',
    '<body>',
    `<main${page.mainClass ? ` class="${page.mainClass}"` : ''}>`,
    ...header,
    `${content.replace(/\n*$/, '')}`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function tabLinks(current: string): string {
  return TABS.map(
    ([path, label]) => `<a href="${path}"${path === current ? ' aria-current="page"' : ''}>${label}</a>`,
  ).join('');
}

/** Reads the page's fragment (from the web assets, `asset` finds them) and frames it. */
export async function readPage(page: PageFrame, asset: (file: string) => URL): Promise<string> {
  return renderPage(page, await readFile(asset(`pages/${page.file}`), 'utf8'));
}
