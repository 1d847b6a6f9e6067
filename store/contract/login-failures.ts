/** Failed logins, one record each, so that every API process counts them all. */
export interface LoginFailureRepository {
  add(email: string, at: Date): Promise<void>;
  /** The email's failures after `since`, oldest first. */
  listSince(email: string, since: Date): Promise<Date[]>;
  /** Forgets the email's failures (it logged in). */
  clear(email: string): Promise<void>;
  /** Deletes the failures at or before `before`, whoever they were for; how many. */
  purgeBefore(before: Date): Promise<number>;
}
