/**
 * Passwords never leave the server: everything that writes or prints configuration text (the
 * file's `/nexus_logs/configuration/…_xml`, `@nexdatas_source`, source descriptions, errors,
 * logs) passes it through redactSecrets first.
 */

/**
 * Masks what holds a password in configuration text: attributes named passwd, password or pwd,
 * the password of a URL's user info (`scheme://user:secret@host`) and `password=secret` in a
 * key=value connection string. Names of where a secret is kept (`passwd_env`, `passwd_file`)
 * stay: they are not the secret.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/(\s(?:passwd|password|pwd)\s*=\s*)("[^"]*"|'[^']*')/gi, (_m, lead: string, quoted: string) => `${lead}${quoted[0]}***${quoted[0]}`)
    .replace(/(\/\/[^\s/:@"'<>]*:)[^\s/@"'<>]+@/g, '$1***@')
    .replace(/(\b(?:passwd|password|pwd)\s*=\s*)(?!["'])[^\s;,&"'<>]+/gi, '$1***');
}
